// Image and raw-tensor files for the command-line denoiser: grayscale PNG/JPEG in, PNG out, float32 NCHW raw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dae/result.h"
#include "dae/tensor.h"

namespace dae::cli {

// Largest decoded image accepted (pixels), and largest file read.
inline constexpr uint64_t kMaxPixels = uint64_t(64) << 20;
inline constexpr uint64_t kMaxFileBytes = uint64_t(256) << 20;

// Reads any image stb_image decodes as one grayscale [1, 1, H, W] tensor with values in [0, 1].
Result<Tensor> read_gray_image(const std::string& path);
Status write_gray_png(const std::string& path, const Tensor& image);

// Raw little-endian float32 in NCHW order, exactly n·c·h·w values.
Result<Tensor> read_raw(const std::string& path, int n, int c, int h, int w);
Status write_raw(const std::string& path, const Tensor& t);

// Fashion-MNIST style IDX image file (gzip or plain): [count, 1, 28, 28] in [0, 1].
Result<Tensor> read_idx_images(const std::string& path, int limit);

}  // namespace dae::cli
