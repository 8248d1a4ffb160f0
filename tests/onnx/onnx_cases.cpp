// Maps each supported ONNX operator case onto dae::ops kernels; anything the engine cannot express
// is reported as a skip with the attribute that prevents it.
#include "onnx_cases.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>

#include "dae/ops.h"

namespace dae::onnx_conformance {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kOps = {"Conv",   "ConvTranspose", "MaxPool", "Relu", "Sigmoid",
                                    "Resize", "Upsample",      "Concat",  "Add",  "Sub"};

template <class Proto>
bool read_proto(const fs::path& path, Proto& proto) {
  std::ifstream file(path, std::ios::binary);
  return file && proto.ParseFromIstream(&file);
}

// Floats (or integers, converted) from a TensorProto; false for other element types.
bool to_floats(const onnx::TensorProto& t, FloatTensor& out, std::string& why) {
  out.dims.assign(t.dims().begin(), t.dims().end());
  const size_t count = std::accumulate(out.dims.begin(), out.dims.end(), size_t(1),
                                       [](size_t a, int64_t d) { return a * static_cast<size_t>(d); });
  out.values.clear();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (t.has_raw_data()) {
        out.values.resize(t.raw_data().size() / 4);
        std::memcpy(out.values.data(), t.raw_data().data(), out.values.size() * 4);
      } else {
        out.values.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case onnx::TensorProto::INT64:
      if (t.has_raw_data()) {
        std::vector<int64_t> v(t.raw_data().size() / 8);
        std::memcpy(v.data(), t.raw_data().data(), v.size() * 8);
        out.values.assign(v.begin(), v.end());
      } else {
        out.values.assign(t.int64_data().begin(), t.int64_data().end());
      }
      break;
    default: why = "element type " + std::to_string(t.data_type()) + " (the engine computes in float32)"; return false;
  }
  if (out.values.size() != count) {
    why = "tensor '" + t.name() + "' holds " + std::to_string(out.values.size()) + " values for its shape";
    return false;
  }
  return true;
}

struct Attrs {
  std::map<std::string, const onnx::AttributeProto*> by_name;
  std::vector<int64_t> ints(const std::string& name, std::vector<int64_t> fallback) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? fallback : std::vector<int64_t>(it->second->ints().begin(), it->second->ints().end());
  }
  int64_t i(const std::string& name, int64_t fallback) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? fallback : it->second->i();
  }
  std::string s(const std::string& name, const std::string& fallback) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? fallback : it->second->s();
  }
  bool has(const std::string& name) const { return by_name.count(name) > 0; }
};

Tensor as_nchw(const FloatTensor& t) {
  Tensor out(static_cast<int>(t.dims[0]), static_cast<int>(t.dims[1]), static_cast<int>(t.dims[2]),
             static_cast<int>(t.dims[3]));
  out.data = t.values;
  return out;
}

Outcome skip(std::string why) {
  return {Outcome::Skip, std::move(why)};
}

// The result, or a skip/fail when mapping was impossible.
struct Mapped {
  Outcome status;
  std::vector<float> values;
  std::vector<int64_t> dims;
};

Mapped skipped(std::string why) {
  return {skip(std::move(why)), {}, {}};
}

Mapped from_tensor(const Tensor& t) {
  return {{}, t.data, {t.n, t.c, t.h, t.w}};
}

// Shared checks of Conv and ConvTranspose attributes: one square kernel, one stride, one symmetric
// pad, no groups or dilations; fills the engine's parameters.
Outcome conv_params(const Attrs& a, const FloatTensor& x, const FloatTensor& w, bool transpose, ops::ConvParams& p) {
  if (x.dims.size() != 4) return skip(std::to_string(x.dims.size() - 2) + "-D convolution (the engine is 2-D)");
  if (a.i("group", 1) != 1) return skip("group != 1");
  for (int64_t d : a.ints("dilations", {1, 1}))
    if (d != 1) return skip("dilations != 1");
  const int64_t kh = w.dims[2], kw = w.dims[3];
  if (kh != kw) return skip("rectangular kernel_shape");
  const std::vector<int64_t> strides = a.ints("strides", {1, 1});
  if (strides[0] != strides[1]) return skip("different strides along H and W");
  p.kernel = static_cast<int>(kh);
  p.stride = static_cast<int>(strides[0]);
  p.cin = static_cast<int>(transpose ? w.dims[0] : w.dims[1]);
  p.cout = static_cast<int>(transpose ? w.dims[1] : w.dims[0]);
  const std::string auto_pad = a.s("auto_pad", "NOTSET");
  std::vector<int64_t> pads = a.ints("pads", {0, 0, 0, 0});
  if (auto_pad == "VALID") pads = {0, 0, 0, 0};
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    // Output = ceil(in / stride) (conv) or in · stride (transpose): the total pad that gives it.
    for (int d = 0; d < 2; ++d) {
      const int64_t in = x.dims[2 + d];
      const int64_t total = transpose
                                ? (in - 1) * p.stride + p.kernel - in * p.stride
                                : std::max<int64_t>(0, ((in + p.stride - 1) / p.stride - 1) * p.stride + p.kernel - in);
      if (total % 2) return skip("auto_pad " + auto_pad + " with an odd total padding (asymmetric pads)");
      pads[d] = pads[d + 2] = total / 2;
    }
  }
  if (transpose && a.has("output_shape")) {
    const std::vector<int64_t> shape = a.ints("output_shape", {});
    const std::vector<int64_t> opad = a.ints("output_padding", {0, 0});
    for (int d = 0; d < 2; ++d) {
      const int64_t total = p.stride * (x.dims[2 + d] - 1) + opad[d] + p.kernel - shape[shape.size() - 2 + d];
      if (total < 0 || total % 2) return skip("output_shape that needs asymmetric pads");
      pads[d] = pads[d + 2] = total / 2;
    }
  }
  if (pads[0] != pads[1] || pads[0] != pads[2] || pads[0] != pads[3]) return skip("asymmetric pads");
  p.pad = static_cast<int>(pads[0]);
  if (transpose) {
    const std::vector<int64_t> opad = a.ints("output_padding", {0, 0});
    if (opad[0] != opad[1]) return skip("different output_padding along H and W");
    p.output_pad = static_cast<int>(opad[0]);
  }
  return {};
}

// ONNX nearest-neighbour source index for output index `o` along an axis of `in` → `out` pixels.
int64_t nearest_source(int64_t o, int64_t in, int64_t out, double scale, const std::string& ctm,
                       const std::string& mode) {
  double x = 0.0;
  if (ctm == "asymmetric")
    x = o / scale;
  else if (ctm == "align_corners")
    x = out == 1 ? 0.0 : o * double(in - 1) / double(out - 1);
  else if (ctm == "pytorch_half_pixel")
    x = out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  else  // half_pixel, tf_half_pixel_for_nn
    x = ctm == "tf_half_pixel_for_nn" ? (o + 0.5) / scale : (o + 0.5) / scale - 0.5;
  double r = 0.0;
  if (mode == "floor")
    r = std::floor(x);
  else if (mode == "ceil")
    r = std::ceil(x);
  else if (mode == "round_prefer_ceil")
    r = std::floor(x + 0.5);
  else  // round_prefer_floor
    r = (x - std::floor(x) == 0.5) ? std::floor(x) : std::round(x);
  return std::clamp<int64_t>(static_cast<int64_t>(r), 0, in - 1);
}

Mapped run_resize(const std::string& op, const Attrs& a, const std::vector<const FloatTensor*>& inputs, bool ref) {
  const FloatTensor& x = *inputs[0];
  const std::string mode = a.s("mode", "nearest");
  if (mode != "nearest") return skipped("mode '" + mode + "' (only nearest)");
  if (x.dims.size() != 4) return skipped("non-4-D input");
  std::vector<double> scales;
  if (op == "Upsample") {
    if (inputs.size() > 1 && inputs[1]) scales.assign(inputs[1]->values.begin(), inputs[1]->values.end());
  } else {
    if (inputs.size() > 2 && inputs[2] && !inputs[2]->values.empty())
      scales.assign(inputs[2]->values.begin(), inputs[2]->values.end());
    else if (inputs.size() > 3 && inputs[3])
      for (int d = 0; d < 4; ++d) scales.push_back(double(inputs[3]->values[d]) / double(x.dims[d]));
  }
  if (scales.size() != 4) return skipped("scales/sizes missing");
  if (scales[0] != 1 || scales[1] != 1) return skipped("resizing N or C");
  if (scales[2] != scales[3]) return skipped("different scales along H and W");
  const int s = static_cast<int>(scales[2]);
  if (s < 1 || s != scales[2]) return skipped("non-integer or downsampling scale " + std::to_string(scales[2]));
  // The engine's nearest upsampling reads pixel floor(o / s); accept the case only if ONNX's
  // coordinate mode and rounding give exactly that for every output pixel.
  const std::string ctm = a.s("coordinate_transformation_mode", op == "Upsample" ? "asymmetric" : "half_pixel");
  const std::string nmode = a.s("nearest_mode", op == "Upsample" ? "floor" : "round_prefer_floor");
  for (int d = 2; d < 4; ++d)
    for (int64_t o = 0; o < x.dims[d] * s; ++o)
      if (nearest_source(o, x.dims[d], x.dims[d] * s, s, ctm, nmode) != o / s)
        return skipped("coordinate_transformation_mode '" + ctm + "' with nearest_mode '" + nmode +
                       "' does not pick floor(x / scale)");
  Tensor out;
  if (ref)
    ops::upsample_nearest_reference(as_nchw(x), s, out);
  else
    ops::upsample_nearest(as_nchw(x), s, out);
  return from_tensor(out);
}

Mapped run_node(const onnx::NodeProto& node, const std::vector<const FloatTensor*>& inputs, bool ref) {
  Attrs a;
  for (const onnx::AttributeProto& attr : node.attribute()) a.by_name[attr.name()] = &attr;
  const std::string& op = node.op_type();
  const FloatTensor& x = *inputs[0];
  if (op == "Relu" || op == "Sigmoid") {
    std::vector<float> v = x.values;
    (ref ? ops::activate_reference : ops::activate)(v.data(), v.size(), op == "Relu" ? Act::Relu : Act::Sigmoid);
    return {{}, v, x.dims};
  }
  if (op == "Add" || op == "Sub") {
    const FloatTensor& y = *inputs[1];
    if (x.dims != y.dims) return skipped("broadcasting (the engine adds equal shapes)");
    Tensor tx(1, 1, 1, static_cast<int>(x.values.size())), ty = tx, out;
    tx.data = x.values;
    ty.data = y.values;
    (op == "Add" ? ops::add : ops::sub)(tx, ty, out);
    return {{}, out.data, x.dims};
  }
  if (op == "Concat") {
    // Any axis is a channel concatenation of [outer, dim, inner, 1] views.
    if (inputs.size() != 2) return skipped("more than two inputs");
    const FloatTensor& y = *inputs[1];
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    int64_t axis = a.i("axis", 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return skipped("axis out of range");
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.dims[d];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dims[d];
    Tensor tx(int(outer), int(x.dims[axis]), int(inner), 1), ty(int(outer), int(y.dims[axis]), int(inner), 1), out;
    tx.data = x.values;
    ty.data = y.values;
    ops::concat_channels(tx, ty, out);
    std::vector<int64_t> dims = x.dims;
    dims[axis] += y.dims[axis];
    return {{}, out.data, dims};
  }
  if (op == "Conv" || op == "ConvTranspose") {
    const bool transpose = op == "ConvTranspose";
    ops::ConvParams p;
    if (x.dims.size() != 4) return skipped(std::to_string(x.dims.size() - 2) + "-D convolution (the engine is 2-D)");
    Outcome o = conv_params(a, x, *inputs[1], transpose, p);
    if (o.kind != Outcome::Pass) return {o, {}, {}};
    const float* bias = inputs.size() > 2 && inputs[2] ? inputs[2]->values.data() : nullptr;
    Tensor out;
    // The fast kernels take a thread count (default 1), so each is called directly rather than through `?:`.
    const float* w = inputs[1]->values.data();
    if (transpose && ref)
      ops::conv_transpose2d_reference(as_nchw(x), w, bias, p, out);
    else if (transpose)
      ops::conv_transpose2d(as_nchw(x), w, bias, p, out);
    else if (ref)
      ops::conv2d_reference(as_nchw(x), w, bias, p, out);
    else
      ops::conv2d(as_nchw(x), w, bias, p, out);
    return from_tensor(out);
  }
  if (op == "MaxPool") {
    if (node.output_size() > 1) return skipped("Indices output");
    if (x.dims.size() != 4) return skipped(std::to_string(x.dims.size() - 2) + "-D pooling (the engine is 2-D)");
    const std::vector<int64_t> k = a.ints("kernel_shape", {});
    if (k.size() != 2 || k[0] != k[1]) return skipped("rectangular kernel_shape");
    if (a.ints("strides", {1, 1}) != std::vector<int64_t>{k[0], k[0]}) return skipped("strides != kernel_shape");
    for (int64_t d : a.ints("dilations", {1, 1}))
      if (d != 1) return skipped("dilations != 1");
    for (int64_t pad : a.ints("pads", {0, 0, 0, 0}))
      if (pad != 0) return skipped("pads");
    if (a.s("auto_pad", "NOTSET") != "NOTSET" && a.s("auto_pad", "") != "VALID")
      return skipped("auto_pad " + a.s("auto_pad", ""));
    if (a.i("ceil_mode", 0) != 0) return skipped("ceil_mode");
    if (a.i("storage_order", 0) != 0) return skipped("storage_order");
    Tensor out;
    if (ref)
      ops::maxpool2d_reference(as_nchw(x), static_cast<int>(k[0]), out);
    else
      ops::maxpool2d(as_nchw(x), static_cast<int>(k[0]), out);
    return from_tensor(out);
  }
  return run_resize(op, a, inputs, ref);
}

}  // namespace

std::vector<Case> find_cases(const std::string& root) {
  std::vector<Case> cases;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    onnx::ModelProto model;
    if (!read_proto(e.path() / "model.onnx", model) || model.graph().node_size() != 1) continue;
    const std::string& op = model.graph().node(0).op_type();
    if (kOps.count(op)) cases.push_back({e.path().filename().string(), op, e.path().string()});
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

Outcome run_case(const Case& c, bool reference) {
  onnx::ModelProto model;
  if (!read_proto(fs::path(c.dir) / "model.onnx", model)) return {Outcome::Fail, "cannot parse model.onnx"};
  const onnx::GraphProto& graph = model.graph();
  std::map<std::string, FloatTensor> values;
  std::string why;
  // Graph inputs take test_data_set_0/input_<i>.pb in order; initializers are constants.
  for (const onnx::TensorProto& init : graph.initializer())
    if (!to_floats(init, values[init.name()], why)) return skip(why);
  int index = 0;
  for (const onnx::ValueInfoProto& in : graph.input()) {
    if (values.count(in.name())) continue;
    onnx::TensorProto t;
    const fs::path path = fs::path(c.dir) / "test_data_set_0" / ("input_" + std::to_string(index++) + ".pb");
    if (!read_proto(path, t)) return {Outcome::Fail, "cannot read " + path.string()};
    if (!to_floats(t, values[in.name()], why)) return skip(why);
  }
  const onnx::NodeProto& node = graph.node(0);
  std::vector<const FloatTensor*> inputs;
  for (const std::string& name : node.input()) inputs.push_back(name.empty() ? nullptr : &values.at(name));
  Mapped got = run_node(node, inputs, reference);
  if (got.status.kind != Outcome::Pass) return got.status;

  onnx::TensorProto expected_proto;
  FloatTensor expected;
  if (!read_proto(fs::path(c.dir) / "test_data_set_0" / "output_0.pb", expected_proto) ||
      !to_floats(expected_proto, expected, why))
    return {Outcome::Fail, "cannot read output_0.pb " + why};
  if (got.dims != expected.dims) return {Outcome::Fail, "output shape differs from the expected one"};
  for (size_t i = 0; i < expected.values.size(); ++i) {
    const float want = expected.values[i], have = got.values[i];
    if (!(std::fabs(have - want) <= 1e-5f + 1e-4f * std::fabs(want)))
      return {Outcome::Fail,
              "output " + std::to_string(i) + " is " + std::to_string(have) + ", expected " + std::to_string(want)};
  }
  return {};
}

}  // namespace dae::onnx_conformance
