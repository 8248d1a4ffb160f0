// Raw-tensor and IDX file reading and writing for the command-line denoiser.
#include "tensor_io.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "dae/file.h"
#include "idx.h"
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

Result<Tensor> read_idx_images(const std::string& path, int limit) {
  Result<idx::IdxFile> file = idx::read_file(path, 3);
  if (!file.ok()) return file.status();
  if (file->dims[1] != 28 || file->dims[2] != 28)
    return Status::Error(path + ": holds " + std::to_string(file->dims[1]) + "x" + std::to_string(file->dims[2]) +
                         " images, expected 28x28");
  const int64_t count = file->dims[0];
  const int64_t n = limit > 0 ? std::min<int64_t>(limit, count) : count;
  Tensor t(static_cast<int>(n), 1, 28, 28);
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = file->bytes[i] / 255.0f;
  return t;
}

}  // namespace dae::cli
