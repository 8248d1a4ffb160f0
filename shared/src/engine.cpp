// Model loading (checked against the architecture) and graph execution.
#include "dae/engine.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "dae/file.h"
#include "dae/ops.h"
#include "dae/safetensors.h"
#include "dae/snapshots.h"
#include "plan.h"

namespace dae {
namespace {

ops::ConvParams conv_params(const Node& n) {
  return {n.cin, n.cout, n.kernel, n.stride, n.pad, n.output_pad, n.act};
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Status check_finite(const std::string& name, const std::vector<float>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      return Status::Error("model: tensor '" + name + "' holds a non-finite value (" + std::to_string(v[i]) +
                           ") at index " + std::to_string(i));
  return Status::Ok();
}

// Pads each plane on the right and bottom by repeating the edge pixels.
Tensor pad_edges(const Tensor& in, int h, int w) {
  Tensor out(in.n, in.c, h, w);
  for (int n = 0; n < in.n; ++n)
    for (int c = 0; c < in.c; ++c) {
      const float* src = in.at(n, c);
      float* dst = out.at(n, c);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          dst[static_cast<size_t>(y) * w + x] =
              src[static_cast<size_t>(std::min(y, in.h - 1)) * in.w + std::min(x, in.w - 1)];
    }
  return out;
}

Tensor crop(const Tensor& in, int h, int w) {
  Tensor out(in.n, in.c, h, w);
  for (int n = 0; n < in.n; ++n)
    for (int c = 0; c < in.c; ++c)
      for (int y = 0; y < h; ++y)
        std::copy_n(in.at(n, c) + static_cast<size_t>(y) * in.w, w, out.at(n, c) + static_cast<size_t>(y) * w);
  return out;
}

// Symmetry `s` of the square applied to every plane: bit 2 transposes first, then bit 0 mirrors left-right and
// bit 1 top-bottom. With `inverse` it is undone instead (the same index map, read the other way).
Tensor symmetry(const Tensor& in, int s, bool inverse) {
  const bool t = s & 4;
  Tensor out(in.n, in.c, t ? in.w : in.h, t ? in.h : in.w);
  const int oh = inverse ? in.h : out.h, ow = inverse ? in.w : out.w;  // the transformed shape
  const int iw = inverse ? out.w : in.w;                               // the untransformed width
  for (int n = 0; n < in.n; ++n)
    for (int c = 0; c < in.c; ++c) {
      const float* src = in.at(n, c);
      float* dst = out.at(n, c);
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
          const int mx = s & 1 ? ow - 1 - x : x, my = s & 2 ? oh - 1 - y : y;
          const size_t plain = t ? static_cast<size_t>(mx) * iw + my : static_cast<size_t>(my) * iw + mx;
          const size_t moved = static_cast<size_t>(y) * ow + x;
          if (inverse)
            dst[plain] = src[moved];
          else
            dst[moved] = src[plain];
        }
    }
  return out;
}

}  // namespace

Result<Model> Model::from_weights(Arch arch, std::map<std::string, std::vector<float>> weights) {
  if (Status s = validate(arch); !s.ok()) return s;
  // The per-pixel budget at a reference size, so a graph too costly at any size is refused before it runs (a
  // graph that cannot take this size at all is left to fail on its first input).
  const int reference = padded_side(arch, 64);
  if (Result<Cost> c = cost(arch, 1, reference, reference); c.ok())
    if (Status s = check_budget(arch, *c, 1, reference, reference); !s.ok())
      return Status::Error("model: " + s.message());
  const std::vector<ParamSpec> specs = param_specs(arch);
  for (const auto& entry : weights) {
    const std::string& name = entry.first;
    if (std::none_of(specs.begin(), specs.end(), [&](const ParamSpec& p) { return p.name == name; }))
      return Status::Error("model: unexpected tensor '" + name + "' that the architecture does not use");
  }
  Model m;
  m.arch_ = std::move(arch);
  m.weights_.resize(m.arch_.nodes.size());
  m.biases_.resize(m.arch_.nodes.size());
  for (size_t i = 0; i < m.arch_.nodes.size(); ++i) {
    const Node& n = m.arch_.nodes[i];
    if (n.op != Op::Conv && n.op != Op::ConvTranspose) continue;
    const size_t wcount = static_cast<size_t>(n.cin) * n.cout * n.kernel * n.kernel;
    for (auto [suffix, count, dst] : {std::tuple{".weight", wcount, &m.weights_[i]},
                                      std::tuple{".bias", static_cast<size_t>(n.cout), &m.biases_[i]}}) {
      const std::string name = n.name + suffix;
      auto it = weights.find(name);
      if (it == weights.end()) return Status::Error("model: tensor '" + name + "' is missing");
      if (it->second.size() != count)
        return Status::Error("model: tensor '" + name + "' has " + std::to_string(it->second.size()) +
                             " values, the architecture needs " + std::to_string(count));
      if (Status s = check_finite(name, it->second); !s.ok()) return s;
      *dst = std::move(it->second);
    }
  }
  m.compiled_ = detail::compile(m.arch_, m.weights_, m.biases_);
  return m;
}

Result<Model> Model::from_safetensors(const uint8_t* bytes, size_t size) {
  Result<SafetensorsView> view = parse_safetensors(bytes, size);
  if (!view.ok()) return view.status();
  if (auto f = view->metadata.find(kFormatMetadataKey);
      f != view->metadata.end() && f->second != std::to_string(kFormatVersion)) {
    // Every format this engine has known is 1, so another one is newer (re-exporting here cannot make it older) or
    // not a format at all.
    const std::string& text = f->second;
    const bool newer = !text.empty() && text.size() < 10 && text.find_first_not_of("0123456789") == std::string::npos &&
                       std::stoi(text) > kFormatVersion;
    if (newer)
      return Status::Error("model: the file is in format '" + text + "', newer than format " +
                           std::to_string(kFormatVersion) +
                           ", the one this engine reads: it was written by a newer dae-train; open it with a build "
                           "of the same version (dae-denoise, the page) or ask for a file in format " +
                           std::to_string(kFormatVersion));
    return Status::Error("model: the file says format '" + text.substr(0, 32) + "', which no dae-train writes (this " +
                         "engine reads format " + std::to_string(kFormatVersion) +
                         "); the file is damaged or not from this project");
  }
  if (view->metadata.count(kSnapshotsMetadataKey))
    return Status::Error("model: this is a training history (dae-train --snapshots), not a model: load the model "
                         "file beside it");
  auto arch_it = view->metadata.find(kArchMetadataKey);
  if (arch_it == view->metadata.end())
    return Status::Error(std::string("model: the file has no '") + kArchMetadataKey +
                         "' metadata, so it was not written by this project's trainer");
  Result<Arch> arch = arch_from_json(arch_it->second);
  if (!arch.ok()) return Status::Error("model: " + arch.error());
  std::map<std::string, std::vector<float>> weights;
  for (const ParamSpec& p : param_specs(*arch)) {
    auto it = view->tensors.find(p.name);
    if (it == view->tensors.end()) return Status::Error("model: tensor '" + p.name + "' is missing");
    if (it->second.shape != p.shape)
      return Status::Error("model: tensor '" + p.name + "' has shape " + shape_str(it->second.shape) +
                           ", the architecture needs " + shape_str(p.shape));
    Result<std::vector<float>> values = view->floats(p.name);
    if (!values.ok()) return Status::Error("model: " + values.error());
    weights[p.name] = std::move(*values);
  }
  for (const auto& [name, entry] : view->tensors)
    if (!weights.count(name))
      return Status::Error("model: unexpected tensor '" + name + "' that the architecture does not use");
  Result<Model> model = from_weights(std::move(*arch), std::move(weights));
  if (model.ok()) model->metadata_ = view->metadata;
  return model;
}

Result<Model> Model::from_file(const std::string& path) {
  Result<std::vector<uint8_t>> bytes = read_file_capped(path, kMaxModelBytes);
  if (!bytes.ok()) return Status::Error("model: " + bytes.error());
  Result<Model> model = from_safetensors(bytes->data(), bytes->size());
  if (!model.ok()) return Status::Error(path + ": " + model.error());
  return model;
}

Result<Tensor> Model::node_output(int node, const Tensor& in, RunOptions options) const {
  if (node < 0 || node >= static_cast<int>(arch_.nodes.size()))
    return Status::Error("node_output: no node " + std::to_string(node) + " (the graph has " +
                         std::to_string(arch_.nodes.size()) + ")");
  Tensor seen;
  options.observer = [&](int index, const float* data, int c, int h, int w) {
    if (index != node) return;
    seen = Tensor(1, c, h, w);
    std::copy_n(data, seen.size(), seen.data.begin());
  };
  Result<Tensor> out = forward(in, options);
  if (!out.ok()) return out.status();
  return seen;
}

int64_t Model::param_count() const {
  return dae::param_count(arch_);
}

Result<Tensor> Model::forward(const Tensor& in, const RunOptions& options) const {
  if (in.n < 1 || in.h < 1 || in.w < 1 || in.c != arch_.channels)
    return Status::Error("forward: input must be [N, " + std::to_string(arch_.channels) + ", H, W], got [" +
                         std::to_string(in.n) + ", " + std::to_string(in.c) + ", " + std::to_string(in.h) + ", " +
                         std::to_string(in.w) + "]");
  if (in.size() != static_cast<size_t>(in.n) * in.c * in.h * in.w)
    return Status::Error("forward: input data size does not match its shape");
  if (in.h > kMaxImageSide || in.w > kMaxImageSide)
    return Status::Error("forward: images larger than " + std::to_string(kMaxImageSide) + " pixels a side are refused");
  if (in.h % arch_.size_multiple || in.w % arch_.size_multiple)
    return Status::Error("forward: height and width must be multiples of " + std::to_string(arch_.size_multiple));

  Result<std::vector<NodeSize>> sizes = node_sizes(arch_, in.h, in.w);
  if (!sizes.ok()) return Status::Error("forward: " + sizes.error());
  for (size_t i = 0; i < sizes->size(); ++i) {
    const NodeSize& s = (*sizes)[i];
    if (static_cast<uint64_t>(in.n) * s.c * s.h * s.w > kMaxActivationFloats)
      return Status::Error("forward: the image is too large (node '" + arch_.nodes[i].name +
                           "' would need more than 1 GiB)");
  }
  Cost c = cost(arch_, *sizes, in.n, in.h, in.w);
  if (!options.reference) {
    const detail::Compiled::Scratch scratch = compiled_->scratch(in.h, in.w, options.threads);
    c.scratch_floats = scratch.floats, c.scratch_node = scratch.node;
  }
  if (Status s = check_budget(arch_, c, in.n, in.h, in.w); !s.ok()) return Status::Error("forward: " + s.message());
  if (!options.reference) return compiled_->run(in, options.threads, options.observer ? &options.observer : nullptr);

  return reference_run(in, -1, Tensor(), options.observer);
}

Tensor Model::reference_run(const Tensor& in, int after, Tensor value, const LayerObserver& observer) const {
  // The reference kernels on plain tensors, each activation freed after its last use; with after >= 0, node `after`'s
  // output is `value` and the run starts at the node behind it.
  const size_t count = arch_.nodes.size();
  std::vector<size_t> last_use(count, 0);
  for (size_t i = 0; i < count; ++i)
    for (int in_index : arch_.nodes[i].inputs)
      if (in_index != kGraphInput) last_use[in_index] = i;
  last_use[count - 1] = count;
  std::vector<Tensor> acts(count);
  if (after >= 0) acts[after] = std::move(value);
  for (size_t i = static_cast<size_t>(after + 1); i < count; ++i) {
    const Node& n = arch_.nodes[i];
    const Tensor& x = n.inputs[0] == kGraphInput ? in : acts[n.inputs[0]];
    const Tensor* y = n.inputs.size() > 1 ? (n.inputs[1] == kGraphInput ? &in : &acts[n.inputs[1]]) : nullptr;
    const ops::ConvParams p = conv_params(n);
    Tensor& out = acts[i];
    switch (n.op) {
      case Op::Conv: ops::conv2d_reference(x, weights_[i].data(), biases_[i].data(), p, out); break;
      case Op::ConvTranspose: ops::conv_transpose2d_reference(x, weights_[i].data(), biases_[i].data(), p, out); break;
      case Op::MaxPool: ops::maxpool2d_reference(x, n.kernel, out); break;
      case Op::Upsample: ops::upsample_nearest_reference(x, n.stride, out); break;
      case Op::Concat: ops::concat_channels(x, *y, out); break;
      case Op::Add: ops::add(x, *y, out); break;
      case Op::Sub: ops::sub(x, *y, out); break;
    }
    if (n.op != Op::Conv && n.op != Op::ConvTranspose) ops::activate_reference(out.data.data(), out.size(), n.act);
    if (observer) observer(static_cast<int>(i), out.data.data(), out.c, out.h, out.w);
    for (int in_index : n.inputs)
      if (in_index != kGraphInput && last_use[in_index] == i) acts[in_index] = Tensor();
  }
  return std::move(acts.back());
}

Result<Tensor> Model::decode(int code, const Tensor& value) const {
  const int count = static_cast<int>(arch_.nodes.size());
  if (code < 0 || code + 1 >= count)
    return Status::Error("decode: node " + std::to_string(code) + " is not a node before the last of '" + arch_.name + "'");
  for (int i = code + 1; i < count; ++i)
    for (int in_index : arch_.nodes[i].inputs)
      if (in_index == kGraphInput || in_index < code)
        return Status::Error("decode: '" + arch_.nodes[i].name + "' reads " +
                             (in_index == kGraphInput ? std::string("the input") : "'" + arch_.nodes[in_index].name + "'") +
                             ", which comes before '" + arch_.nodes[code].name + "': the graph does not split there");
  const Node& at = arch_.nodes[code];
  if (value.n < 1 || value.c != at.cout || value.h < 1 || value.w < 1 ||
      value.size() != static_cast<size_t>(value.n) * value.c * value.h * value.w)
    return Status::Error("decode: '" + at.name + "' outputs " + std::to_string(at.cout) + " channels; the value given is [" +
                         std::to_string(value.n) + ", " + std::to_string(value.c) + ", " + std::to_string(value.h) + ", " +
                         std::to_string(value.w) + "]");
  if (static_cast<uint64_t>(value.size()) * 64 > kMaxActivationFloats)
    return Status::Error("decode: the value given is too large");
  return reference_run(Tensor(), code, value, {});
}

int model_symmetries(const Model& model) {
  const auto& meta = model.metadata();
  if (auto it = meta.find("dae.symmetries"); it != meta.end())
    for (int n : {1, 2, 4, 8})
      if (it->second == std::to_string(n)) return n;
  auto data = meta.find("dae.train_data");
  return data != meta.end() && data->second.rfind("images:", 0) == 0 ? 8 : 1;
}

Result<Tensor> denoise(const Model& model, const Tensor& noisy, const RunOptions& options) {
  if (noisy.n < 1 || noisy.h < 1 || noisy.w < 1) return Status::Error("denoise: the image is empty");
  if (noisy.h > kMaxImageSide || noisy.w > kMaxImageSide)
    return Status::Error("denoise: images larger than " + std::to_string(kMaxImageSide) + " pixels a side are refused");
  const int e = options.ensemble;
  if (e != 1 && e != 2 && e != 4 && e != 8)
    return Status::Error("denoise: the ensemble takes 1, 2, 4 or 8 symmetries, not " + std::to_string(e));
  const int h = padded_side(model.arch(), noisy.h), w = padded_side(model.arch(), noisy.w);
  // Padded before any symmetry, so the model sees its pooling grid where it would without one (tiles stay exact).
  const Tensor padded = (h == noisy.h && w == noisy.w) ? Tensor() : pad_edges(noisy, h, w);
  const Tensor& in = padded.data.empty() ? noisy : padded;
  Tensor sum;
  for (int s = 0; s < e; ++s) {
    Result<Tensor> out = model.forward(s == 0 ? in : symmetry(in, s, false), options);
    if (!out.ok()) return out;
    const int oh = s & 4 ? w : h, ow = s & 4 ? h : w;
    if (out->h != oh || out->w != ow || out->c != noisy.c)
      return Status::Error("denoise: the model maps a " + std::to_string(oh) + "x" + std::to_string(ow) + " image to " +
                           std::to_string(out->h) + "x" + std::to_string(out->w) + " with " + std::to_string(out->c) +
                           " channel(s); only models that keep the image size can denoise");
    if (s == 0) {
      sum = std::move(*out);
      continue;
    }
    const Tensor back = symmetry(*out, s, true);
    for (size_t i = 0; i < sum.size(); ++i) sum.data[i] += back.data[i];
  }
  // The scale is exactly 1 without an ensemble, so the result is the same as before.
  return finish_output(std::move(sum), noisy.h, noisy.w, 1.0f / float(e));
}

Tensor pad_for_model(const Arch& arch, const Tensor& image) {
  return pad_edges(image, padded_side(arch, image.h), padded_side(arch, image.w));
}

Tensor finish_output(Tensor out, int h, int w, float scale) {
  Tensor result = (out.h == h && out.w == w) ? std::move(out) : crop(out, h, w);
  for (float& v : result.data) v = std::clamp(v * scale, 0.0f, 1.0f);
  return result;
}

}  // namespace dae
