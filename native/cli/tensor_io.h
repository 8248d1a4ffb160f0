// Raw float32 tensors for the command-line denoiser (image files: dae_imageio; IDX image sets: dae_idx).
#pragma once

#include <string>

#include "dae/result.h"
#include "dae/tensor.h"

namespace dae::cli {

// Raw little-endian float32 in NCHW order, exactly n·c·h·w values.
Result<Tensor> read_raw(const std::string& path, int n, int c, int h, int w);
Status write_raw(const std::string& path, const Tensor& t);

}  // namespace dae::cli
