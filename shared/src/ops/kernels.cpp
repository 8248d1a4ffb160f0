// Views of tensors, scratch for the tensor-level operators and the work-splitting rules the kernels share.
#include "kernels.h"

#include <algorithm>

namespace dae::ops::DAE_KERNELS {

View view(Tensor& t) {
  return {t.data.data(), t.n, t.c, t.h, t.w, static_cast<size_t>(t.c) * t.plane()};
}

View read_view(const Tensor& t) {
  return view(const_cast<Tensor&>(t));  // kernels never write through a view they read
}

void with_scratch(const ScratchSize& size, int threads, const std::function<void(const Exec&)>& fn) {
  Exec ex;
  ex.threads = std::clamp(threads, 1, dae::detail::max_threads());
  std::vector<float> shared(size.shared), scratch(size.worker * ex.threads);
  ex.shared = shared.data();
  ex.scratch = scratch.data();
  ex.scratch_stride = size.worker;
  fn(ex);
}

int split_count(int total, int threads) {
  return threads <= 1 ? 1 : std::clamp(total, 1, 4 * threads);
}

int plane_grain(size_t plane) {
  constexpr size_t kFloatsPerItem = 16 * 1024;
  return static_cast<int>(std::max<size_t>(1, kFloatsPerItem / std::max<size_t>(plane, 1)));
}

}  // namespace dae::ops::DAE_KERNELS
