// Image files for the native tools: checked decoding of PNG/JPEG/BMP/TGA/GIF, PNG writing, channel conversion
// and area downscaling. Torch-free, shared by the CLI, the trainer, the photo set builder and the evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dae/result.h"
#include "dae/tensor.h"

namespace dae::image {

// Largest decoded image accepted (pixels), and largest file read.
inline constexpr uint64_t kMaxPixels = uint64_t(64) << 20;
inline constexpr uint64_t kMaxFileBytes = uint64_t(256) << 20;

// Planar float image: `channels` planes of h×w values in [0, 1].
struct Image {
  int w = 0, h = 0, channels = 0;
  std::vector<float> data;

  size_t plane() const { return static_cast<size_t>(w) * h; }
  float* channel(int c) { return data.data() + c * plane(); }
  const float* channel(int c) const { return data.data() + c * plane(); }
};

// `channels`: 0 keeps what the file stores (gray or gray+alpha -> 1, RGB or RGBA -> 3), 1 gives luma (BT.601),
// 3 gives RGB (gray replicated). Alpha is dropped. Errors name the file (`name`) and what is wrong.
Result<Image> load(const std::string& path, int channels = 0);
Result<Image> decode(const uint8_t* bytes, size_t size, const std::string& name, int channels = 0);
// 8-bit PNG with 1 or 3 channels; values are clamped to [0, 1] and rounded.
Status save_png(const std::string& path, const Image& image);
// Baseline JPEG bytes (stb's encoder: 4:2:0 chroma at quality <= 90, the standard tables scaled as libjpeg does).
Result<std::vector<uint8_t>> encode_jpeg(const Image& image, int quality);

// 1 -> 3 replicates, 3 -> 1 takes luma (0.299 R + 0.587 G + 0.114 B); same count copies.
Image to_channels(const Image& image, int channels);
// Box average over factor×factor blocks (factor >= 1); a remainder of fewer than `factor` rows or columns is dropped.
Image downscale_area(const Image& image, int factor);

// [1, channels, h, w] and back (image `index` of a batch).
Tensor to_tensor(const Image& image);
Image from_tensor(const Tensor& t, int index = 0);

}  // namespace dae::image
