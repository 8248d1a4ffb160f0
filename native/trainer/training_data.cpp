// What a training run starts from and learns on: --init weights (across channel counts), the noise, and the
// batches of Fashion-MNIST or an image folder. Data order and noise come from generators seeded by (seed, epoch,
// batch) only, so a resumed run replays exactly the batches an uninterrupted run would have seen.
#include <algorithm>
#include <numeric>

#include "train.h"

namespace dae::trainer {
namespace {

// Generator stream ids: one for the data order, one for training noise, one for validation noise.
constexpr uint64_t kOrderStream = 1, kNoiseStream = 2, kValStream = 3;

// Fisher-Yates with the shared generator: the same order on every machine and LibTorch version.
std::vector<int64_t> permutation(int64_t n, Rng& rng) {
  std::vector<int64_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[static_cast<int64_t>(rng.next() % uint64_t(i + 1))]);
  return p;
}

// Node by node, the same graph up to the image's channel count (each node's op, inputs and attributes).
bool same_graph_but_channels(const Arch& a, const Arch& b) {
  if (a.nodes.size() != b.nodes.size() || a.size_multiple != b.size_multiple) return false;
  const auto channels_agree = [&](int x, int y) { return x == y || (x == a.channels && y == b.channels); };
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node &x = a.nodes[i], &y = b.nodes[i];
    if (x.name != y.name || x.op != y.op || x.inputs != y.inputs || x.kernel != y.kernel || x.stride != y.stride ||
        x.pad != y.pad || x.output_pad != y.output_pad || x.act != y.act || !channels_agree(x.cin, y.cin) ||
        !channels_agree(x.cout, y.cout))
      return false;
  }
  return true;
}

// `t` with dimension `dim` of size `from` made `to` (one of them 1): from n channels to 1 the sum (a layer reading
// the image, so a gray image gives the features its gray copied to every channel gave) or the mean (a layer writing
// the image, so gray is the mean of the channels' results); from 1 to n the same read backwards.
torch::Tensor convert_channels(const torch::Tensor& t, int64_t dim, bool reads_image, int64_t to) {
  if (to == 1) return reads_image ? t.sum(dim, true) : t.mean(dim, true);
  std::vector<int64_t> repeat(t.dim(), 1);
  repeat[dim] = to;
  return reads_image ? t.repeat(repeat) / static_cast<double>(to) : t.repeat(repeat);
}

}  // namespace

// Starts `model` from `init`'s weights. The two must be the same graph; they may differ in the image's channels
// (a color model's weights start a gray one, or the other way round) when one of them has one channel: the layers
// that read or write the image are converted by convert_channels, the rest copied.
void copy_init_weights(GraphModuleImpl& model, const GraphModuleImpl& init, const std::string& what) {
  const Arch &to = model.arch(), &from = init.arch();
  if (!same_graph_but_channels(from, to) || (from.channels != to.channels && from.channels != 1 && to.channels != 1))
    throw std::runtime_error(what + " is a '" + from.name + "' model (" + std::to_string(from.channels) +
                             " channel(s)), not the graph of '" + to.name + "' (" + std::to_string(to.channels) +
                             "); a model of the same graph with 1 or the same number of channels is needed");
  // The layers that write the image: the last node, and through Add and Sub nodes (a residual output) their inputs.
  std::vector<bool> writes(from.nodes.size(), false);
  writes.back() = true;
  for (size_t i = from.nodes.size(); i-- > 0;)
    if (writes[i] && (from.nodes[i].op == Op::Add || from.nodes[i].op == Op::Sub))
      for (int in : from.nodes[i].inputs)
        if (in != kGraphInput) writes[in] = true;
  torch::NoGradGuard no_grad;
  auto params = model.named_parameters(true);
  for (auto& [name, t] : init.named_weights()) {
    torch::Tensor w = t;
    const size_t dot = name.rfind('.');
    const bool is_weight = name.substr(dot + 1) == "weight";
    for (size_t i = 0; i < from.nodes.size() && from.channels != to.channels; ++i) {
      const Node& n = from.nodes[i];
      if (n.name != name.substr(0, dot)) continue;
      // Conv weights are [cout, cin, k, k], ConvTranspose weights [cin, cout, k, k]; biases [cout].
      const bool transpose = n.op == Op::ConvTranspose;
      if (is_weight && n.inputs == std::vector<int>{kGraphInput})
        w = convert_channels(w, transpose ? 0 : 1, true, to.channels);
      if (writes[i]) w = convert_channels(w, is_weight && transpose ? 1 : 0, false, to.channels);
    }
    if (!params.contains(name) || params[name].sizes() != w.sizes())
      throw std::runtime_error(what + ": its tensor '" + name + "' does not fit '" + to.name + "'");
    params[name].copy_(w);
  }
}


uint64_t stream_seed(uint64_t seed, uint64_t epoch, uint64_t stream) {
  return seed * 0x9E3779B97F4A7C15ull ^ (epoch + 1) * 0xC2B2AE3D27D4EB4Full ^ stream * 0x165667B19E3779F9ull;
}

torch::Tensor make_noisy(const torch::Tensor& clean, const NoiseDraw& noise, Rng& rng) {
  torch::Tensor c = clean.contiguous();
  torch::Tensor noisy = torch::empty_like(c);
  const int64_t plane = c[0].numel();
  const int channels = static_cast<int>(c.size(1)), h = static_cast<int>(c.size(2)), w = static_cast<int>(c.size(3));
  for (int64_t i = 0; i < c.size(0); ++i) {
    const NoiseParams params = draw_noise(noise, rng);
    add_noise_image(c.data_ptr<float>() + i * plane, noisy.data_ptr<float>() + i * plane, channels, h, w, params, rng);
  }
  return noisy;
}

NoiseDraw noise_draw(const TrainOptions& o) {
  NoiseDraw d;
  d.kinds = o.noise;
  d.lo = o.sigma_lo, d.hi = o.sigma_hi;
  d.camera_lo = o.camera_lo, d.camera_hi = o.camera_hi;
  return d;
}

std::vector<NoiseKind> parse_noise_list(const std::string& text) {
  std::vector<NoiseKind> kinds;
  size_t begin = 0;
  while (true) {
    const size_t end = std::min(text.find(',', begin), text.size());
    Result<NoiseKind> kind = parse_noise_kind(text.substr(begin, end - begin));
    if (!kind.ok()) throw std::runtime_error("--noise '" + text + "': " + kind.error());
    if (std::find(kinds.begin(), kinds.end(), *kind) != kinds.end())
      throw std::runtime_error("--noise '" + text + "' names " + noise_name(*kind) + " twice");
    kinds.push_back(*kind);
    if (end == text.size()) return kinds;
    begin = end + 1;
  }
}

std::string noise_list_string(const std::vector<NoiseKind>& kinds) {
  std::string s;
  for (NoiseKind k : kinds) s += (s.empty() ? "" : ",") + std::string(noise_name(k));
  return s;
}

TrainingData fashion_mnist_training(const Dataset& data, const TrainOptions& o) {
  const int64_t val_count = std::min<int64_t>(o.val_count, data.train.size() / 2);
  const Split val = slice(data.train, data.train.size() - val_count, data.train.size());
  const Split train_split = head(slice(data.train, 0, data.train.size() - val_count), o.limit);
  TrainingData d;
  d.description = "fashion-mnist: " + std::to_string(train_split.size()) + " images";
  d.channels = 1;
  d.per_epoch = train_split.size();
  d.val_clean = val.images.contiguous();
  Rng val_rng(stream_seed(o.seed, 0, kValStream));
  d.val_noisy = make_noisy(d.val_clean, noise_draw(o), val_rng);
  // The epoch's order is computed once and kept for its batches.
  auto order = std::make_shared<std::pair<int64_t, std::vector<int64_t>>>(-1, std::vector<int64_t>());
  d.batch = [train_split, order, o](int64_t epoch, int64_t batch) {
    if (order->first != epoch) {
      Rng order_rng(stream_seed(o.seed, epoch, kOrderStream));
      *order = {epoch, permutation(train_split.size(), order_rng)};
    }
    const int64_t begin = batch * global_batch(o), end = std::min(train_split.size(), begin + global_batch(o));
    torch::Tensor index =
        torch::from_blob(order->second.data() + begin, {end - begin}, torch::kInt64);
    torch::Tensor clean = train_split.images.index_select(0, index);
    Rng noise_rng(stream_seed(o.seed, epoch, kNoiseStream + 16 * (batch + 1)));
    torch::Tensor noisy = make_noisy(clean, noise_draw(o), noise_rng);
    return std::make_pair(clean, noisy);
  };
  return d;
}

TrainingData image_folder_training(const ImageFolder& folder, const TrainOptions& o) {
  if (o.patch < 8 || o.patch % 4) throw std::runtime_error("--patch must be a multiple of 4, at least 8");
  if (o.patches < 1) throw std::runtime_error("--patches must be positive");
  if (!(o.gray_fraction >= 0 && o.gray_fraction <= 1)) throw std::runtime_error("--gray-fraction must be in [0, 1]");
  const std::vector<const ImageFile*> train_files = folder.split("train"), val_files = folder.split("val");
  const int channels = train_files.front()->image.channels;
  TrainingData d;
  d.symmetries = 8;  // sample_patches flips and turns every patch at random
  d.description = "images: " + folder.dir + " (" + std::to_string(train_files.size()) + " train, " +
                  std::to_string(val_files.size()) + " val files; " + std::to_string(o.patch) + "px patches)";
  d.channels = channels;
  d.per_epoch = o.patches;
  const int64_t val_count = std::max<int64_t>(1, o.val_count);
  d.val_clean = torch::empty({val_count, channels, o.patch, o.patch});
  d.val_noisy = torch::empty_like(d.val_clean);
  sample_patches(val_files, o.patch, stream_seed(o.seed, 0, kValStream), noise_draw(o), o.gray_fraction,
                 d.val_clean, d.val_noisy);
  d.batch = [train_files, channels, o](int64_t epoch, int64_t batch) {
    const int64_t count = std::min<int64_t>(global_batch(o), o.patches - batch * global_batch(o));
    torch::Tensor clean = torch::empty({count, channels, o.patch, o.patch});
    torch::Tensor noisy = torch::empty_like(clean);
    sample_patches(train_files, o.patch, stream_seed(o.seed, epoch, kNoiseStream + 16 * (batch + 1)),
                   noise_draw(o), o.gray_fraction, clean, noisy);
    return std::make_pair(clean, noisy);
  };
  return d;
}

}  // namespace dae::trainer
