// Raw-tensor and IDX file reading and writing for the command-line denoiser.
#include "tensor_io.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "dae/file.h"
#include "image.h"

namespace dae::cli {

Result<Tensor> read_raw(const std::string& path, int n, int c, int h, int w) {
  Result<std::vector<uint8_t>> bytes = read_file_capped(path, image::kMaxFileBytes);
  if (!bytes.ok()) return bytes.status();
  const uint64_t want = uint64_t(n) * c * h * w * 4;
  if (bytes->size() != want)
    return Status::Error("'" + path + "' has " + std::to_string(bytes->size()) + " bytes; shape " + std::to_string(n) +
                         "," + std::to_string(c) + "," + std::to_string(h) + "," + std::to_string(w) + " needs " +
                         std::to_string(want));
  Tensor t(n, c, h, w);
  std::memcpy(t.data.data(), bytes->data(), bytes->size());
  return t;
}

Status write_raw(const std::string& path, const Tensor& t) {
  std::ofstream file(path, std::ios::binary);
  if (!file.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.size() * 4)))
    return Status::Error("cannot write '" + path + "'");
  return Status::Ok();
}

}  // namespace dae::cli
