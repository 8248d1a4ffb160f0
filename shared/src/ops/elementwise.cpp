// Elementwise operators: activations, add, subtract and channel concatenation.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "dae/ops.h"
#include "dae/simd.h"
#include "../plan.h"
#include "kernels.h"

namespace dae::ops {
#if !defined(DAE_KERNELS_ONLY)  // the tensor-level operators, compiled once

void activate_reference(float* x, size_t n, Act act) {
  if (act == Act::Relu)
    for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
  else if (act == Act::Sigmoid)
    for (size_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
}

const char* kernel_isa() {
  return dae::detail::compiled_isa();
}

// ReLU is vectorised; sigmoid stays scalar because only single-channel output layers use it.
void activate(float* x, size_t n, Act act) {
  if (act != Act::Relu) return activate_reference(x, n, act);
  using namespace simd;
  size_t i = 0;
  for (; i + kWidth <= n; i += kWidth) store(x + i, max(load(x + i), zero()));
  for (; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

#endif

namespace DAE_KERNELS {

void run_activate(const View& x, Act act, const Exec& ex) {
  if (act == Act::None) return;
  ex.parallel(x.n * x.c, plane_grain(x.plane()), [&](int begin, int end, int) {
    for (int pl = begin; pl < end; ++pl) activate(x.at(pl / x.c, pl % x.c), x.plane(), act);
  });
}

void run_add_sub(const View& a, const View& b, bool subtract, const View& out, const Exec& ex) {
  ex.parallel(a.n * a.c, plane_grain(a.plane()), [&](int begin, int end, int) {
    for (int pl = begin; pl < end; ++pl) {
      const float* x = a.at(pl / a.c, pl % a.c);
      const float* y = b.at(pl / a.c, pl % a.c);
      float* dst = out.at(pl / a.c, pl % a.c);
      if (subtract)
        for (size_t i = 0; i < a.plane(); ++i) dst[i] = x[i] - y[i];
      else
        for (size_t i = 0; i < a.plane(); ++i) dst[i] = x[i] + y[i];
    }
  });
}

void run_copy(const View& in, const View& out, const Exec& ex) {
  ex.parallel(in.n * in.c, plane_grain(in.plane()), [&](int begin, int end, int) {
    for (int pl = begin; pl < end; ++pl)
      std::memcpy(out.at(pl / in.c, pl % in.c), in.at(pl / in.c, pl % in.c), sizeof(float) * in.plane());
  });
}

}  // namespace DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)

void concat_channels(const Tensor& a, const Tensor& b, Tensor& out) {
  out = Tensor(a.n, a.c + b.c, a.h, a.w);
  detail::View dst = detail::view(out);
  dst.c = a.c;
  detail::run_copy(detail::read_view(a), dst, {});
  dst.data = out.at(0, a.c);
  dst.c = b.c;
  detail::run_copy(detail::read_view(b), dst, {});
}

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  out = Tensor(a.n, a.c, a.h, a.w);
  detail::run_add_sub(detail::read_view(a), detail::read_view(b), false, detail::view(out), {});
}

void sub(const Tensor& a, const Tensor& b, Tensor& out) {
  out = Tensor(a.n, a.c, a.h, a.w);
  detail::run_add_sub(detail::read_view(a), detail::read_view(b), true, detail::view(out), {});
}

#endif

}  // namespace dae::ops
