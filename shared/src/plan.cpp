// Compiling a model for the fast kernels and running its per-size execution plans.
#include "plan.h"

#include <algorithm>
#include <mutex>

#include "ops/kernels.h"
#include "parallel.h"

namespace dae::ops::DAE_KERNELS {
namespace {

using dae::detail::max_threads;
using dae::detail::parallel_for;

// Plans kept per model: the tiler of a large image asks for a handful of tile sizes.
constexpr size_t kMaxPlans = 16;
// Floats the largest activation of one group of images may hold: a batch of small images runs through the
// graph a group at a time, so that each layer's output is still in cache when the next layer reads it.
constexpr size_t kGroupFloats = 256 * 1024;
// Activation buffers start on 64-byte boundaries.
constexpr size_t kAlign = 16;
// Work that is worth waking another thread for (tens of microseconds): multiply-adds ×2 for the convolutions,
// floats written for the other operators. A WebAssembly worker takes longer to wake and to wait for (Atomics on
// shared memory): there a 28×28 image's layers ran slower on two threads than on one (0.68×).
#if defined(__EMSCRIPTEN__)
constexpr double kFlopsPerThread = 16e6;
#else
constexpr double kFlopsPerThread = 4e6;
#endif
constexpr double kFloatsPerThread = 256 * 1024;

size_t align(size_t floats) {
  return (floats + kAlign - 1) / kAlign * kAlign;
}

ConvParams conv_params(const Node& n) {
  return {n.cin, n.cout, n.kernel, n.stride, n.pad, n.output_pad, n.act};
}

}  // namespace

class CompiledModel final : public dae::detail::Compiled {
 public:
  CompiledModel(const Arch& arch, const std::vector<std::vector<float>>& weights,
                const std::vector<std::vector<float>>& biases);
  Tensor run(const Tensor& in, int threads, const LayerObserver* observer) const override;
  Scratch scratch(int h, int w, int threads) const override;

 private:
  struct Plan;
  struct Workspace;

  std::shared_ptr<const Plan> plan(int images, int h, int w) const;
  void execute(const Plan& plan, const Tensor& in, int first, Tensor& out, Workspace& ws, int threads,
               const LayerObserver* observer = nullptr) const;
  std::unique_ptr<Workspace> take_workspace() const;
  void give_back(std::unique_ptr<Workspace> ws) const;

  Arch arch_;
  std::vector<ConvWeights> conv_;                 // per node; used by Conv nodes
  std::vector<ConvTransposeWeights> transposed_;  // per node; used by ConvTranspose nodes
  mutable std::mutex mutex_;                                   // guards the two caches below
  mutable std::vector<std::shared_ptr<const Plan>> plans_;     // most recently used last
  mutable std::vector<std::unique_ptr<Workspace>> workspaces_;  // idle ones, kept for the next call
};

struct CompiledModel::Plan {
  int images = 0, h = 0, w = 0;
  std::vector<NodeSize> sizes;                                // per node, one image
  std::vector<ConvSetup> conv;                   // per Conv node
  std::vector<ConvTransposeSetup> transposed;    // per ConvTranspose node
  std::vector<size_t> offset;                                 // per node: its output's start in the arena
  std::vector<size_t> image_stride;                           // per node: floats between its images
  std::vector<uint8_t> in_place;                              // per Concat node: bit j set = input j already there
  std::vector<int> most_threads;                              // per node: threads its work is worth
  size_t arena = 0;
  ScratchSize scratch;  // the most any node's kernel needs
  int scratch_node = -1;  // the node needing the most (shared + one worker's)
};

struct CompiledModel::Workspace {
  std::vector<float> arena, shared, scratch;
};

CompiledModel::CompiledModel(const Arch& arch, const std::vector<std::vector<float>>& weights,
                   const std::vector<std::vector<float>>& biases)
    : arch_(arch), conv_(arch.nodes.size()), transposed_(arch.nodes.size()) {
  for (size_t i = 0; i < arch_.nodes.size(); ++i) {
    const Node& n = arch_.nodes[i];
    const ConvParams p = conv_params(n);
    if (n.op == Op::Conv) {
      // Winograd kernels only for layers where some image size picks Winograd.
      const bool winograd = winograd_suits(p, kMaxImageSide, kMaxImageSide);
      conv_[i] = prepare_conv(weights[i].data(), biases[i].data(), p, winograd);
    }
    if (n.op == Op::ConvTranspose)
      transposed_[i] = prepare_conv_transpose(weights[i].data(), biases[i].data(), p);
  }
}

std::shared_ptr<const CompiledModel::Plan> CompiledModel::plan(int images, int h, int w) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = plans_.begin(); it != plans_.end(); ++it)
    if ((*it)->images == images && (*it)->h == h && (*it)->w == w) {
      std::shared_ptr<const Plan> found = *it;
      plans_.erase(it);
      plans_.push_back(found);
      return found;
    }
  auto plan = std::make_shared<Plan>();
  Plan& p = *plan;
  p.images = images, p.h = h, p.w = w;
  p.sizes = node_sizes(arch_, h, w).value();  // the caller checked the size
  const size_t count = arch_.nodes.size();
  const NodeSize input{arch_.channels, h, w};
  p.conv.resize(count);
  p.transposed.resize(count);
  p.in_place.assign(count, 0);
  p.most_threads.assign(count, 1);
  size_t most_scratch = 0;
  for (size_t i = 0; i < count; ++i) {
    const Node& n = arch_.nodes[i];
    const NodeSize& x = n.inputs[0] == kGraphInput ? input : p.sizes[n.inputs[0]];
    const NodeSize& o = p.sizes[i];
    const double work = n.op == Op::Conv || n.op == Op::ConvTranspose
                            ? 2.0 * images * n.cin * n.cout * n.kernel * n.kernel * std::max(o.h * o.w, x.h * x.w) /
                                  kFlopsPerThread
                            : double(images) * o.c * o.h * o.w / kFloatsPerThread;
    p.most_threads[i] = static_cast<int>(std::clamp(work, 1.0, 1024.0));
    ScratchSize need;
    if (n.op == Op::Conv) {
      const ConvParams cp = conv_params(n);
      p.conv[i] = setup_conv(cp, choose_conv_algo(cp, x.h, x.w), x.h, x.w);
      need = p.conv[i].scratch;
    }
    if (n.op == Op::ConvTranspose) {
      p.transposed[i] = setup_conv_transpose(conv_params(n), x.h, x.w);
      need = p.transposed[i].scratch;
    }
    if (need.shared + need.worker > most_scratch) most_scratch = need.shared + need.worker, p.scratch_node = int(i);
    p.scratch.shared = std::max(p.scratch.shared, need.shared);
    p.scratch.worker = std::max(p.scratch.worker, need.worker);
  }

  // Lifetimes: a node's output lives from its step to the last step that reads it.
  std::vector<size_t> last_use(count, 0);
  for (size_t i = 0; i < count; ++i)
    for (int in : arch_.nodes[i].inputs)
      if (in != kGraphInput) last_use[in] = i;
  // A concatenation's inputs are written straight into its buffer, so it copies nothing. Not for the graph's
  // output (it lives in the caller's tensor), nor with an activation (it would change its inputs in place).
  std::vector<size_t> owner(count), channel_offset(count, 0), birth(count), death(count);
  for (size_t i = 0; i < count; ++i) owner[i] = birth[i] = i, death[i] = last_use[i];
  for (size_t i = 0; i + 1 < count; ++i) {
    const Node& n = arch_.nodes[i];
    if (n.op != Op::Concat || n.act != Act::None || n.inputs[0] == n.inputs[1]) continue;
    for (int j = 0; j < 2; ++j) {
      const int in = n.inputs[j];
      if (in == kGraphInput || owner[in] != static_cast<size_t>(in)) continue;
      if (std::count(owner.begin(), owner.end(), static_cast<size_t>(in)) > 1) continue;  // holds other inputs
      owner[in] = i;
      channel_offset[in] = j == 0 ? 0 : static_cast<size_t>(n.inputs[0] == kGraphInput ? input.c : p.sizes[n.inputs[0]].c);
      birth[i] = std::min(birth[i], static_cast<size_t>(in));
      death[i] = std::max(death[i], last_use[in]);
      p.in_place[i] |= static_cast<uint8_t>(1 << j);
    }
  }
  // First fit in order of birth: a buffer reuses the space of buffers whose last reader has run.
  struct Live {
    size_t offset, size, death;
  };
  std::vector<Live> live;
  std::vector<size_t> order;
  for (size_t i = 0; i + 1 < count; ++i)
    if (owner[i] == i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return birth[a] < birth[b]; });
  p.offset.assign(count, 0);
  p.image_stride.assign(count, 0);
  for (size_t o : order) {
    const NodeSize& s = p.sizes[o];
    const size_t image = static_cast<size_t>(s.c) * s.h * s.w, size = align(image * images);
    live.erase(std::remove_if(live.begin(), live.end(), [&](const Live& l) { return l.death < birth[o]; }),
               live.end());
    std::sort(live.begin(), live.end(), [](const Live& a, const Live& b) { return a.offset < b.offset; });
    size_t at = 0;
    for (const Live& l : live) {
      if (l.offset >= at + size) break;
      at = std::max(at, l.offset + l.size);
    }
    live.push_back({at, size, death[o]});
    p.offset[o] = at;
    p.image_stride[o] = image;
    p.arena = std::max(p.arena, at + size);
  }
  for (size_t i = 0; i + 1 < count; ++i)
    if (owner[i] != i) {
      const NodeSize& s = p.sizes[i];
      p.offset[i] = p.offset[owner[i]] + channel_offset[i] * s.h * s.w;
      p.image_stride[i] = p.image_stride[owner[i]];
    }

  plans_.push_back(plan);
  if (plans_.size() > kMaxPlans) plans_.erase(plans_.begin());
  return plan;
}

std::unique_ptr<CompiledModel::Workspace> CompiledModel::take_workspace() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (workspaces_.empty()) return std::make_unique<Workspace>();
  std::unique_ptr<Workspace> ws = std::move(workspaces_.back());
  workspaces_.pop_back();
  return ws;
}

void CompiledModel::give_back(std::unique_ptr<Workspace> ws) const {
  std::lock_guard<std::mutex> lock(mutex_);
  workspaces_.push_back(std::move(ws));
}

void CompiledModel::execute(const Plan& plan, const Tensor& in, int first, Tensor& out, Workspace& ws, int threads,
                            const LayerObserver* observer) const {
  // Buffers only grow, so a model that ran once at a size allocates nothing the next time.
  if (ws.arena.size() < plan.arena) ws.arena.resize(plan.arena);
  if (ws.shared.size() < plan.scratch.shared) ws.shared.resize(plan.scratch.shared);
  if (ws.scratch.size() < plan.scratch.worker * threads) ws.scratch.resize(plan.scratch.worker * threads);
  Exec ex;
  ex.threads = threads;
  ex.shared = ws.shared.data();
  ex.scratch = ws.scratch.data();
  ex.scratch_stride = plan.scratch.worker;

  const int last = static_cast<int>(arch_.nodes.size()) - 1;
  auto view_of = [&](int node) {
    if (node == kGraphInput) {
      View v = read_view(in);
      v.data += first * v.image_stride;
      v.n = plan.images;
      return v;
    }
    const NodeSize& s = plan.sizes[node];
    if (node == last) {
      View v = view(out);
      v.data += first * v.image_stride;
      v.n = plan.images;
      return v;
    }
    return View{ws.arena.data() + plan.offset[node], plan.images, s.c, s.h, s.w, plan.image_stride[node]};
  };
  for (int i = 0; i <= last; ++i) {
    const Node& n = arch_.nodes[i];
    const View x = view_of(n.inputs[0]), o = view_of(i);
    ex.threads = std::min(threads, plan.most_threads[i]);
    switch (n.op) {
      case Op::Conv: run_conv(conv_[i], plan.conv[i], x, o, ex); break;
      case Op::ConvTranspose: run_conv_transpose(transposed_[i], plan.transposed[i], x, o, ex); break;
      case Op::MaxPool: run_maxpool(x, n.kernel, o, ex); break;
      case Op::Upsample: run_upsample(x, n.stride, o, ex); break;
      case Op::Concat:
        for (int j = 0; j < 2; ++j) {
          if (plan.in_place[i] >> j & 1) continue;
          const View part = view_of(n.inputs[j]);
          View slice = o;
          slice.c = part.c;
          if (j == 1) slice.data += static_cast<size_t>(x.c) * x.plane();
          run_copy(part, slice, ex);
        }
        break;
      case Op::Add:
      case Op::Sub: run_add_sub(x, view_of(n.inputs[1]), n.op == Op::Sub, o, ex); break;
    }
    if (n.op != Op::Conv && n.op != Op::ConvTranspose) run_activate(o, n.act, ex);
    // The first image's planes of this node, before a later node may reuse its buffer.
    if (observer && first == 0) (*observer)(i, o.data, o.c, o.h, o.w);
  }
}

dae::detail::Compiled::Scratch CompiledModel::scratch(int h, int w, int threads) const {
  threads = std::clamp(threads, 1, max_threads());
  const std::shared_ptr<const Plan> p = plan(1, h, w);  // the scratch does not depend on the number of images
  return {double(threads) * double(p->scratch.shared + p->scratch.worker), p->scratch_node};
}

Tensor CompiledModel::run(const Tensor& in, int threads, const LayerObserver* observer) const {
  threads = std::clamp(threads, 1, max_threads());
  const std::shared_ptr<const Plan> single = plan(1, in.h, in.w);
  size_t largest = 1;
  for (const NodeSize& s : single->sizes) largest = std::max(largest, static_cast<size_t>(s.c) * s.h * s.w);
  const int group = static_cast<int>(std::clamp<size_t>(kGroupFloats / largest, 1, static_cast<size_t>(in.n)));
  const int groups = (in.n + group - 1) / group, rest = in.n - (groups - 1) * group;
  const std::shared_ptr<const Plan> full = group == 1 ? single : plan(group, in.h, in.w);
  const std::shared_ptr<const Plan> tail = rest == group ? full : plan(rest, in.h, in.w);
  const NodeSize& last = single->sizes.back();
  Tensor out(in.n, last.c, last.h, last.w);
  auto group_plan = [&](int g) -> const Plan& { return g + 1 < groups ? *full : *tail; };

  if (threads > 1 && groups >= 2 * threads && !observer) {
    // Enough groups to keep every thread busy: each runs whole groups on its own buffers.
    std::vector<std::unique_ptr<Workspace>> mine(threads);
    parallel_for(threads, groups, 1, [&](int begin, int end, int worker) {
      if (!mine[worker]) mine[worker] = take_workspace();
      for (int g = begin; g < end; ++g) execute(group_plan(g), in, g * group, out, *mine[worker], 1);
    });
    for (std::unique_ptr<Workspace>& ws : mine)
      if (ws) give_back(std::move(ws));
    return out;
  }
  // Few images: each operator splits its own work over the threads.
  std::unique_ptr<Workspace> ws = take_workspace();
  for (int g = 0; g < groups; ++g) execute(group_plan(g), in, g * group, out, *ws, threads, observer);
  give_back(std::move(ws));
  return out;
}

std::shared_ptr<const dae::detail::Compiled> compile_model(const Arch& arch,
                                                           const std::vector<std::vector<float>>& weights,
                                                           const std::vector<std::vector<float>>& biases) {
  return std::make_shared<const CompiledModel>(arch, weights, biases);
}

}  // namespace dae::ops::DAE_KERNELS

#if !defined(DAE_KERNELS_ONLY)
namespace dae::detail {

std::shared_ptr<const Compiled> compile(const Arch& arch, const std::vector<std::vector<float>>& weights,
                                        const std::vector<std::vector<float>>& biases) {
#if defined(DAE_WITH_AVX512)
  if (__builtin_cpu_supports("avx512f")) return ops::avx512::compile_model(arch, weights, biases);
#endif
  return ops::detail::compile_model(arch, weights, biases);
}

const char* compiled_isa() {
#if defined(DAE_WITH_AVX512)
  if (__builtin_cpu_supports("avx512f")) return "avx512-fma";
#endif
  return simd::kName;
}

}  // namespace dae::detail
#endif
