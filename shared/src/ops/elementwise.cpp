// Elementwise operators: activations, add, subtract and channel concatenation.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "dae/ops.h"
#include "dae/simd.h"

namespace dae::ops {

void activate_reference(float* x, size_t n, Act act) {
  if (act == Act::Relu)
    for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
  else if (act == Act::Sigmoid)
    for (size_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
}

const char* kernel_isa() {
  return simd::kName;
}

// ReLU is vectorised; sigmoid stays scalar because only single-channel output layers use it.
void activate(float* x, size_t n, Act act) {
  if (act != Act::Relu) return activate_reference(x, n, act);
  using namespace simd;
  size_t i = 0;
  for (; i + kWidth <= n; i += kWidth) store(x + i, max(load(x + i), zero()));
  for (; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void concat_channels(const Tensor& a, const Tensor& b, Tensor& out) {
  out = Tensor(a.n, a.c + b.c, a.h, a.w);
  const size_t plane = a.plane();
  for (int n = 0; n < a.n; ++n) {
    std::memcpy(out.at(n, 0), a.at(n, 0), sizeof(float) * plane * a.c);
    std::memcpy(out.at(n, a.c), b.at(n, 0), sizeof(float) * plane * b.c);
  }
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  out = Tensor(a.n, a.c, a.h, a.w);
  for (size_t i = 0; i < a.size(); ++i) out.data[i] = a.data[i] + b.data[i];
}

void sub(const Tensor& a, const Tensor& b, Tensor& out) {
  out = Tensor(a.n, a.c, a.h, a.w);
  for (size_t i = 0; i < a.size(); ++i) out.data[i] = a.data[i] - b.data[i];
}

}  // namespace dae::ops
