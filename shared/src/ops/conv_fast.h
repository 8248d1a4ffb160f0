// Engine-internal entry points of the specialised convolution kernels.
#pragma once

#include "dae/ops.h"

namespace dae::ops::detail {

// Winograd F(2×2, 3×3) handles 3×3, stride 1 convolutions with enough channels to pay for its transforms.
bool winograd_suits(const ConvParams& p);
// out is already sized [N, cout, OH, OW]; applies bias and ReLU (not sigmoid).
void conv2d_winograd(const Tensor& in, const float* weight, const float* bias, const ConvParams& p, Tensor& out);

}  // namespace dae::ops::detail
