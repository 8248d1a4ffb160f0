// Image, raw-tensor and IDX file reading and writing for the command-line denoiser.
#include "image_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "idx.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace dae::cli {
namespace {

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return Status::Error("cannot open '" + path + "'");
  const std::streamoff size = file.tellg();
  if (size < 0) return Status::Error("cannot read '" + path + "' (is it a directory?)");
  if (static_cast<uint64_t>(size) > kMaxFileBytes)
    return Status::Error("'" + path + "' is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  file.seekg(0);
  if (!file.read(reinterpret_cast<char*>(bytes.data()), size)) return Status::Error("cannot read '" + path + "'");
  return bytes;
}

}  // namespace

Result<Tensor> read_gray_image(const std::string& path) {
  Result<std::vector<uint8_t>> bytes = read_file(path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() > static_cast<size_t>(INT32_MAX)) return Status::Error("'" + path + "' is too large");
  const int len = static_cast<int>(bytes->size());
  int w = 0, h = 0, comp = 0;
  // Check the header's size before decoding, so a tiny file claiming a huge image allocates nothing.
  if (!stbi_info_from_memory(bytes->data(), len, &w, &h, &comp))
    return Status::Error("'" + path +
                         "' is not an image this tool reads (PNG, JPEG, BMP, PNM, TGA, GIF): " + stbi_failure_reason());
  if (w < 1 || h < 1 || static_cast<uint64_t>(w) * h > kMaxPixels)
    return Status::Error("'" + path + "' is " + std::to_string(w) + "x" + std::to_string(h) + ", more than the " +
                         std::to_string(kMaxPixels >> 20) + " Mpx limit");
  stbi_uc* pixels = stbi_load_from_memory(bytes->data(), len, &w, &h, &comp, 1);
  if (!pixels) return Status::Error("cannot decode '" + path + "': " + stbi_failure_reason());
  Tensor t(1, 1, h, w);
  for (size_t i = 0; i < t.size(); ++i) t.data[i] = pixels[i] / 255.0f;
  stbi_image_free(pixels);
  return t;
}

Status write_gray_png(const std::string& path, const Tensor& image) {
  std::vector<uint8_t> pixels(image.plane());
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<uint8_t>(std::lround(std::clamp(image.data[i], 0.0f, 1.0f) * 255.0f));
  if (!stbi_write_png(path.c_str(), image.w, image.h, 1, pixels.data(), image.w))
    return Status::Error("cannot write '" + path + "'");
  return Status::Ok();
}

Result<Tensor> read_raw(const std::string& path, int n, int c, int h, int w) {
  Result<std::vector<uint8_t>> bytes = read_file(path);
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
