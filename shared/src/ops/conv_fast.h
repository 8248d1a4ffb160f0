// Engine-internal choices between the fast convolution algorithms.
#pragma once

#include "dae/ops.h"

namespace dae::ops::detail {

// Whether conv2d should take the Winograd path for this layer on an h×w input (measured crossover:
// its transforms cost about as much as a few channels of products, so thin layers stay on the GEMM).
bool winograd_suits(const ConvParams& p, int h, int w);

}  // namespace dae::ops::detail
