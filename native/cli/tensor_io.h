// Raw float32 tensors and Fashion-MNIST IDX image sets for the command-line denoiser (image files: dae_imageio).
#pragma once

#include <string>

#include "dae/result.h"
#include "dae/tensor.h"

namespace dae::cli {

// Raw little-endian float32 in NCHW order, exactly n·c·h·w values.
Result<Tensor> read_raw(const std::string& path, int n, int c, int h, int w);
Status write_raw(const std::string& path, const Tensor& t);

// Fashion-MNIST style IDX image file (gzip or plain): [count, 1, 28, 28] in [0, 1].
Result<Tensor> read_idx_images(const std::string& path, int limit);

}  // namespace dae::cli
