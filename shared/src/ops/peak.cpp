// The machine's peak for the kernels' own instruction set: independent multiply-add chains in registers, no memory
// traffic. The benchmarks print each kernel's GFLOP/s against it (a roofline's compute roof).
#include <algorithm>
#include <chrono>
#include <vector>

#include "dae/ops.h"
#include "dae/simd.h"
#include "gemm.h"
#include "../parallel.h"

namespace dae::ops::DAE_KERNELS {

// Floating-point operations per second of one thread for about `seconds`: kChains accumulators, each updated by a
// multiply-add per step (2 flops per lane; where the set has no fused multiply-add, as SIMD128, a multiply and an
// add), enough independent chains to cover the latency of a fused multiply-add on two ports.
double peak_flops(double seconds) {
  using namespace simd;
  constexpr int kChains = 12, kSteps = 4096;
  Vec acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = set1(0.001f * i);
  const Vec a = set1(0.999999f), b = set1(1e-7f);
  volatile float sink = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0, steps = 0;
  do {
    for (int s = 0; s < kSteps; ++s)
      for (int i = 0; i < kChains; ++i) acc[i] = fmadd(acc[i], a, b);
    steps += kSteps;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  float lanes[kWidth];
  Vec total = acc[0];
  for (int i = 1; i < kChains; ++i) total = simd::add(total, acc[i]);
  store(lanes, total);
  sink = sink + lanes[0];
  return steps * kChains * kWidth * 2 / elapsed;
}

}  // namespace dae::ops::DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)
namespace dae::ops {

#if defined(DAE_WITH_AVX512)
namespace avx512 {
double peak_flops(double seconds);
}
#endif

double peak_gflops(int threads, double seconds) {
  threads = std::max(1, std::min(threads, dae::detail::max_threads()));
  std::vector<double> per_thread(threads, 0.0);
  // One chunk per thread, each measuring its own rate; all run at once, so the sum is what they reach together.
  dae::detail::parallel_for(threads, threads, 1, [&](int begin, int end, int) {
    for (int t = begin; t < end; ++t) {
#if defined(DAE_WITH_AVX512)
      if (__builtin_cpu_supports("avx512f")) {
        per_thread[t] = avx512::peak_flops(seconds);
        continue;
      }
#endif
      per_thread[t] = DAE_KERNELS::peak_flops(seconds);
    }
  });
  double sum = 0;
  for (double f : per_thread) sum += f;
  return sum * 1e-9;
}

}  // namespace dae::ops
#endif
