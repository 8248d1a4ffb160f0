// The architecture graph: validation, parameter shapes, JSON form and the built-in models.
#include "dae/arch.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "dae/ops.h"
#include "json_depth.h"

namespace dae {
namespace {

using nlohmann::json;

constexpr int kMaxNodes = 4096;
constexpr int kMaxChannels = 4096;
constexpr int kMaxKernel = 15;
constexpr size_t kMaxInputs = 2;

const char* kOpNames[] = {"conv", "conv_transpose", "maxpool", "upsample", "concat", "add", "sub"};
const char* kActNames[] = {"none", "relu", "sigmoid"};

bool has_weights(Op op) {
  return op == Op::Conv || op == Op::ConvTranspose;
}

// Builds a graph node by node; each helper returns the new node's index.
class Builder {
 public:
  Builder(std::string name, int size_multiple) {
    arch_.name = std::move(name);
    arch_.size_multiple = size_multiple;
  }
  int conv(const std::string& name, int in, int cin, int cout, int k, int stride, int pad, Act act) {
    return add({name, Op::Conv, {in}, cin, cout, k, stride, pad, 0, act});
  }
  int conv_t(const std::string& name, int in, int cin, int cout, int k, int stride, int pad, int out_pad, Act act) {
    return add({name, Op::ConvTranspose, {in}, cin, cout, k, stride, pad, out_pad, act});
  }
  void set_channels(int channels) { arch_.channels = channels; }
  int maxpool(const std::string& name, int in) { return add({name, Op::MaxPool, {in}, 0, 0, 2, 2}); }
  int upsample(const std::string& name, int in) { return add({name, Op::Upsample, {in}, 0, 0, 0, 2}); }
  int concat(const std::string& name, int a, int b) { return add({name, Op::Concat, {a, b}}); }
  int sub(const std::string& name, int a, int b) { return add({name, Op::Sub, {a, b}}); }
  Arch finish() {
    Status s = validate(arch_);
    (void)s;  // built-ins are covered by tests
    return arch_;
  }

 private:
  int add(Node node) {
    arch_.nodes.push_back(std::move(node));
    return static_cast<int>(arch_.nodes.size()) - 1;
  }
  Arch arch_;
};

// The seed notebook's Keras model: linear strided convolutions, sigmoid output, 3,217 parameters.
Arch seed_arch() {
  Builder b("seed", 4);
  int x = b.conv("enc1", kGraphInput, 1, 16, 3, 2, 1, Act::None);
  x = b.conv("enc2", x, 16, 8, 3, 2, 1, Act::None);
  x = b.conv("enc3", x, 8, 8, 3, 1, 1, Act::None);
  x = b.conv_t("dec1", x, 8, 16, 3, 2, 1, 1, Act::None);
  b.conv_t("dec2", x, 16, 1, 3, 2, 1, 1, Act::Sigmoid);
  return b.finish();
}

// The common Keras-style ReLU convolutional denoiser (28,353 parameters).
Arch conv_arch() {
  Builder b("conv", 4);
  int x = b.conv("enc1", kGraphInput, 1, 32, 3, 1, 1, Act::Relu);
  x = b.maxpool("pool1", x);
  x = b.conv("enc2", x, 32, 32, 3, 1, 1, Act::Relu);
  x = b.maxpool("pool2", x);
  x = b.conv_t("dec1", x, 32, 32, 3, 2, 1, 1, Act::Relu);
  x = b.conv_t("dec2", x, 32, 32, 3, 2, 1, 1, Act::Relu);
  b.conv("out", x, 32, 1, 3, 1, 1, Act::Sigmoid);
  return b.finish();
}

// A two-level U-Net with upsample + conv decoders that predicts the noise and subtracts it.
// `w` is the first level's width; the second level and the bottleneck are twice as wide. `ch` is the image's
// channel count (1 for grayscale, 3 for RGB); the noise of all channels is predicted jointly.
Arch unet_arch(const char* name, int w, int ch) {
  Builder b(name, 4);
  b.set_channels(ch);
  int e1 = b.conv("e1a", kGraphInput, ch, w, 3, 1, 1, Act::Relu);
  e1 = b.conv("e1b", e1, w, w, 3, 1, 1, Act::Relu);
  int e2 = b.maxpool("pool1", e1);
  e2 = b.conv("e2a", e2, w, 2 * w, 3, 1, 1, Act::Relu);
  e2 = b.conv("e2b", e2, 2 * w, 2 * w, 3, 1, 1, Act::Relu);
  int mid = b.maxpool("pool2", e2);
  mid = b.conv("mid", mid, 2 * w, 2 * w, 3, 1, 1, Act::Relu);
  int d2 = b.upsample("up2", mid);
  d2 = b.concat("cat2", d2, e2);
  d2 = b.conv("d2a", d2, 4 * w, 2 * w, 3, 1, 1, Act::Relu);
  d2 = b.conv("d2b", d2, 2 * w, 2 * w, 3, 1, 1, Act::Relu);
  int d1 = b.upsample("up1", d2);
  d1 = b.concat("cat1", d1, e1);
  d1 = b.conv("d1a", d1, 3 * w, w, 3, 1, 1, Act::Relu);
  d1 = b.conv("d1b", d1, w, w, 3, 1, 1, Act::Relu);
  int noise = b.conv("noise", d1, w, ch, 3, 1, 1, Act::None);
  b.sub("out", kGraphInput, noise);
  return b.finish();
}

std::string where(const Node& n) {
  return "node '" + n.name + "' (" + op_name(n.op) + ")";
}

}  // namespace

const char* op_name(Op op) {
  return kOpNames[static_cast<int>(op)];
}
const char* act_name(Act act) {
  return kActNames[static_cast<int>(act)];
}

Status validate(Arch& arch) {
  if (arch.channels < 1 || arch.channels > kMaxChannels)
    return Status::Error("architecture: channels must be in [1, " + std::to_string(kMaxChannels) + "]");
  if (arch.size_multiple < 1 || arch.size_multiple > 256)
    return Status::Error("architecture: size_multiple must be in [1, 256]");
  if (arch.nodes.empty()) return Status::Error("architecture '" + arch.name + "' has no nodes");
  if (arch.nodes.size() > kMaxNodes) return Status::Error("architecture has too many nodes");
  for (size_t i = 0; i < arch.nodes.size(); ++i) {
    Node& n = arch.nodes[i];
    if (n.name.empty()) return Status::Error("architecture: node " + std::to_string(i) + " has no name");
    for (size_t j = 0; j < i; ++j)
      if (arch.nodes[j].name == n.name) return Status::Error("architecture: duplicate node name '" + n.name + "'");
    const size_t want_inputs = (n.op == Op::Concat || n.op == Op::Add || n.op == Op::Sub) ? 2 : 1;
    if (n.inputs.size() != want_inputs)
      return Status::Error(where(n) + " needs " + std::to_string(want_inputs) + " input(s)");
    std::vector<int> in_ch;
    for (int in : n.inputs) {
      if (in != kGraphInput && (in < 0 || static_cast<size_t>(in) >= i))
        return Status::Error(where(n) + " uses an input that is not an earlier node");
      in_ch.push_back(in == kGraphInput ? arch.channels : arch.nodes[in].cout);
    }
    switch (n.op) {
      case Op::Conv:
      case Op::ConvTranspose:
        if (n.cin != in_ch[0])
          return Status::Error(where(n) + " expects " + std::to_string(n.cin) + " input channels but gets " +
                               std::to_string(in_ch[0]));
        if (n.cout < 1 || n.cout > kMaxChannels) return Status::Error(where(n) + " has a bad output channel count");
        if (n.kernel < 1 || n.kernel > kMaxKernel) return Status::Error(where(n) + " has a bad kernel size");
        if (n.stride < 1 || n.stride > 8) return Status::Error(where(n) + " has a bad stride");
        if (n.pad < 0 || n.pad >= n.kernel) return Status::Error(where(n) + " has a bad padding");
        if (n.output_pad < 0 || n.output_pad >= n.stride || (n.op == Op::Conv && n.output_pad != 0))
          return Status::Error(where(n) + " has a bad output padding");
        break;
      case Op::MaxPool:
        if (n.kernel < 1 || n.kernel > 8) return Status::Error(where(n) + " has a bad kernel size");
        n.stride = n.kernel;
        n.cin = n.cout = in_ch[0];
        break;
      case Op::Upsample:
        if (n.stride < 1 || n.stride > 8) return Status::Error(where(n) + " has a bad scale");
        n.cin = n.cout = in_ch[0];
        break;
      case Op::Concat:
        // Each input is capped, so the sum cannot overflow; a chain of concatenations would double past any cap.
        n.cin = in_ch[0] + in_ch[1];
        n.cout = n.cin;
        if (n.cout > kMaxChannels)
          return Status::Error(where(n) + " would have " + std::to_string(n.cout) + " channels, more than " +
                               std::to_string(kMaxChannels));
        break;
      case Op::Add:
      case Op::Sub:
        if (in_ch[0] != in_ch[1]) return Status::Error(where(n) + " adds tensors with different channel counts");
        n.cin = n.cout = in_ch[0];
        break;
    }
  }
  if (arch.nodes.back().cout != arch.channels)
    return Status::Error("architecture: the last node gives " + std::to_string(arch.nodes.back().cout) +
                         " channels, expected " + std::to_string(arch.channels));
  return Status::Ok();
}

std::vector<ParamSpec> param_specs(const Arch& arch) {
  std::vector<ParamSpec> specs;
  for (const Node& n : arch.nodes) {
    if (!has_weights(n.op)) continue;
    const int64_t a = n.op == Op::Conv ? n.cout : n.cin;
    const int64_t b = n.op == Op::Conv ? n.cin : n.cout;
    specs.push_back({n.name + ".weight", {a, b, n.kernel, n.kernel}});
    specs.push_back({n.name + ".bias", {n.cout}});
  }
  return specs;
}

int64_t param_count(const Arch& arch) {
  int64_t total = 0;
  for (const ParamSpec& p : param_specs(arch)) {
    int64_t count = 1;
    for (int64_t d : p.shape) count *= d;
    total += count;
  }
  return total;
}

namespace {
// Largest side any node's output may have: 4 times the largest image, room for a decoder's upsampling.
constexpr int kMaxNodeSide = 1 << 16;
}  // namespace

Result<std::vector<NodeSize>> node_sizes(const Arch& arch, int h, int w) {
  std::vector<NodeSize> sizes(arch.nodes.size());
  const NodeSize input{arch.channels, h, w};
  for (size_t i = 0; i < arch.nodes.size(); ++i) {
    const Node& n = arch.nodes[i];
    const NodeSize& x = n.inputs[0] == kGraphInput ? input : sizes[n.inputs[0]];
    const ops::ConvParams p{n.cin, n.cout, n.kernel, n.stride, n.pad, n.output_pad, n.act};
    NodeSize& out = sizes[i];
    out = {n.cout, x.h, x.w};
    if (n.op == Op::Conv) out.h = ops::conv_out_size(x.h, p), out.w = ops::conv_out_size(x.w, p);
    if (n.op == Op::ConvTranspose)
      out.h = ops::conv_transpose_out_size(x.h, p), out.w = ops::conv_transpose_out_size(x.w, p);
    if (n.op == Op::MaxPool) out.h = x.h / n.kernel, out.w = x.w / n.kernel;
    if (n.op == Op::Upsample) out.h = x.h * n.stride, out.w = x.w * n.stride;
    if (x.h < 1 || x.w < 1 || out.h < 1 || out.w < 1)
      return Status::Error("the image is too small for " + where(n));
    // Checked at every node, so no later size product can overflow an int (strides and scales are at most 8).
    if (out.h > kMaxNodeSide || out.w > kMaxNodeSide)
      return Status::Error(where(n) + " would make a " + std::to_string(out.h) + "x" + std::to_string(out.w) +
                           " image, larger than " + std::to_string(kMaxNodeSide) + " pixels a side");
    if (n.inputs.size() > 1) {
      const NodeSize& y = n.inputs[1] == kGraphInput ? input : sizes[n.inputs[1]];
      if (y.h != x.h || y.w != x.w)
        return Status::Error("the inputs of " + where(n) + " have different sizes (" + std::to_string(x.h) + "x" +
                             std::to_string(x.w) + " and " + std::to_string(y.h) + "x" + std::to_string(y.w) + ")");
    }
  }
  return sizes;
}

int padded_side(const Arch& arch, int side) {
  const int m = std::max(arch.size_multiple, 1);
  return (side + m - 1) / m * m;
}

int code_node(const Arch& arch, int h, int w) {
  for (const Node& n : arch.nodes)
    if (n.inputs.size() > 1) return -1;
  Result<std::vector<NodeSize>> sizes = node_sizes(arch, h, w);
  if (!sizes.ok()) return -1;
  int code = -1;
  int64_t fewest = 0;
  for (size_t i = 0; i + 1 < sizes->size(); ++i) {
    const NodeSize& s = (*sizes)[i];
    const int64_t values = int64_t(s.c) * s.h * s.w;
    if (code < 0 || values < fewest) code = static_cast<int>(i), fewest = values;
  }
  return code;
}

int context_radius(const Arch& arch) {
  // Per node: input pixels per output pixel (`scale`) and how far beyond an output pixel's own footprint its
  // inputs reach (`reach`), both in graph-input pixels; bounds that hold on both sides.
  struct Extent {
    double scale = 1, reach = 0;
  };
  std::vector<Extent> ext(arch.nodes.size());
  for (size_t i = 0; i < arch.nodes.size(); ++i) {
    const Node& n = arch.nodes[i];
    Extent x;
    for (int in : n.inputs) {
      const Extent e = in == kGraphInput ? Extent{} : ext[in];
      x.scale = e.scale;
      x.reach = std::max(x.reach, e.reach);
    }
    Extent& out = ext[i];
    out = x;
    switch (n.op) {
      case Op::Conv:
        out.scale = x.scale * n.stride;
        out.reach = x.reach + x.scale * std::max({n.pad, n.kernel - n.pad - n.stride, 0});
        break;
      case Op::ConvTranspose:
        out.scale = x.scale / n.stride;
        out.reach = x.reach + x.scale * ((n.kernel + n.stride - 1) / n.stride + 1);
        break;
      case Op::MaxPool: out.scale = x.scale * n.kernel; break;
      case Op::Upsample:
        out.scale = x.scale / n.stride;
        out.reach = x.reach + x.scale - out.scale;
        break;
      default: break;
    }
  }
  const int reach = static_cast<int>(std::ceil(ext.empty() ? 0.0 : ext.back().reach - 1e-9));
  return padded_side(arch, reach);
}

double flops(const Arch& arch, int h, int w) {
  Result<std::vector<NodeSize>> sizes = node_sizes(arch, h, w);
  if (!sizes.ok()) return 0.0;
  double total = 0;
  for (size_t i = 0; i < arch.nodes.size(); ++i) {
    const Node& n = arch.nodes[i];
    const NodeSize& o = (*sizes)[i];
    if (n.op == Op::Conv) total += 2.0 * o.h * o.w * n.cout * n.cin * n.kernel * n.kernel;
    if (n.op == Op::ConvTranspose) {
      const NodeSize& x = n.inputs[0] == kGraphInput ? NodeSize{arch.channels, h, w} : (*sizes)[n.inputs[0]];
      total += 2.0 * x.h * x.w * n.cout * n.cin * n.kernel * n.kernel;
    }
  }
  return total;
}

Result<Cost> cost(const Arch& arch, int images, int h, int w) {
  Result<std::vector<NodeSize>> sizes = node_sizes(arch, h, w);
  if (!sizes.ok()) return sizes.status();
  return cost(arch, *sizes, images, h, w);
}

Cost cost(const Arch& arch, const std::vector<NodeSize>& sizes, int images, int h, int w) {
  const size_t count = arch.nodes.size();
  const NodeSize input{arch.channels, h, w};
  auto floats = [&](const NodeSize& s) { return double(images) * s.c * s.h * s.w; };
  Cost c;
  double most_work = -1;
  std::vector<size_t> last_use(count, 0);
  for (size_t i = 0; i < count; ++i) {
    last_use[i] = i;
    for (int in : arch.nodes[i].inputs)
      if (in != kGraphInput) last_use[in] = i;
  }
  if (count) last_use[count - 1] = count - 1;
  // Live floats per step as a difference array: +size at a node's step, -size after its last reader.
  std::vector<double> change(count + 1, 0.0);
  for (size_t i = 0; i < count; ++i) {
    const Node& n = arch.nodes[i];
    const NodeSize& x = n.inputs[0] == kGraphInput ? input : sizes[n.inputs[0]];
    const NodeSize& o = sizes[i];
    double work = 0;
    if (n.op == Op::Conv)
      work = floats(o) * n.cin * n.kernel * n.kernel;
    else if (n.op == Op::ConvTranspose)
      work = floats(x) * n.cout * n.kernel * n.kernel;
    else if (n.op == Op::MaxPool)
      work = floats(o) * n.kernel * n.kernel;
    else
      work = floats(o) * double(n.inputs.size());
    c.work += work;
    if (work > most_work) most_work = work, c.work_node = static_cast<int>(i);
    change[i] += floats(o);
    change[last_use[i] + 1] -= floats(o);
  }
  double live = floats(input);
  for (size_t i = 0; i < count; ++i) {
    live += change[i];
    if (live > c.peak_floats) c.peak_floats = live, c.peak_node = static_cast<int>(i);
  }
  return c;
}

Status check_budget(const Arch& arch, int images, int h, int w) {
  Result<Cost> c = cost(arch, images, h, w);
  if (!c.ok()) return c.status();
  return check_budget(arch, *c, images, h, w);
}

Status check_budget(const Arch& arch, const Cost& c, int images, int h, int w) {
  const double pixels = double(images) * h * w;
  auto number = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, v < 1e5 ? "%.0f" : "%.3g", v);
    return std::string(buf);
  };
  if (c.work > kMaxWorkPerPixel * pixels)
    return Status::Error("the graph does " + number(c.work / pixels) + " operations per image pixel, more than the " +
                         number(kMaxWorkPerPixel) + " allowed (the most at " + where(arch.nodes[c.work_node]) + ")");
  if (c.peak_floats > kMaxPeakFloatsPerPixel * pixels)
    return Status::Error("the graph holds " + number(c.peak_floats / pixels) +
                         " activation values per image pixel at " + where(arch.nodes[c.peak_node]) +
                         ", more than the " + number(kMaxPeakFloatsPerPixel) + " allowed");
  if (c.peak_floats > kMaxPeakFloats) {
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.1f", c.peak_floats * 4 / double(1 << 30));
    return Status::Error(std::to_string(images) + " image(s) of " + std::to_string(h) + "x" + std::to_string(w) +
                         " would hold " + gib + " GiB of activations at " + where(arch.nodes[c.peak_node]) +
                         ", more than the 4 GiB allowed");
  }
  if (c.peak_floats + c.scratch_floats > kMaxPeakFloats) {
    char gib[64];
    std::snprintf(gib, sizeof gib, "%.1f GiB of convolution scratch beside %.1f",
                  c.scratch_floats * 4 / double(1 << 30), c.peak_floats * 4 / double(1 << 30));
    return Status::Error(std::to_string(images) + " image(s) of " + std::to_string(h) + "x" + std::to_string(w) +
                         " would need " + gib + " GiB of activations (the most at " +
                         where(arch.nodes[c.scratch_node]) +
                         "), more than the 4 GiB allowed; fewer threads or a "
                         "smaller image need less");
  }
  return Status::Ok();
}

std::string arch_to_json(const Arch& arch) {
  json nodes = json::array();
  for (const Node& n : arch.nodes) {
    json inputs = json::array();
    for (int in : n.inputs) inputs.push_back(in == kGraphInput ? std::string("input") : arch.nodes[in].name);
    json j = {{"name", n.name}, {"op", op_name(n.op)}, {"inputs", inputs}};
    if (has_weights(n.op)) {
      j["cin"] = n.cin;
      j["cout"] = n.cout;
      j["kernel"] = n.kernel;
      j["stride"] = n.stride;
      j["pad"] = n.pad;
      if (n.op == Op::ConvTranspose) j["output_pad"] = n.output_pad;
    } else if (n.op == Op::MaxPool) {
      j["kernel"] = n.kernel;
    } else if (n.op == Op::Upsample) {
      j["scale"] = n.stride;
    }
    if (n.act != Act::None) j["act"] = act_name(n.act);
    nodes.push_back(j);
  }
  json root = {
      {"name", arch.name}, {"channels", arch.channels}, {"size_multiple", arch.size_multiple}, {"nodes", nodes}};
  return root.dump();
}

namespace {

// Reads an optional small integer field; false with `err` set when present but not an integer.
bool read_int(const json& obj, const char* key, int& out, std::string& err, const std::string& ctx) {
  auto it = obj.find(key);
  if (it == obj.end()) return true;
  if (!it->is_number_integer()) {
    err = ctx + ": field '" + key + "' must be an integer";
    return false;
  }
  const int64_t v = it->get<int64_t>();
  if (v < -1000000 || v > 1000000) {
    err = ctx + ": field '" + key + "' is out of range";
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

}  // namespace

Result<Arch> arch_from_json(std::string_view text) {
  if (!detail::json_depth_within(text))
    return Status::Error("architecture: metadata nests arrays or objects deeper than " +
                         std::to_string(detail::kMaxJsonDepth) + " levels");
  const json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status::Error("architecture: metadata is not valid JSON");
  if (!root.is_object()) return Status::Error("architecture: metadata must be a JSON object");
  Arch arch;
  std::string err;
  if (auto it = root.find("name"); it != root.end() && it->is_string()) arch.name = it->get<std::string>();
  if (!read_int(root, "channels", arch.channels, err, "architecture") ||
      !read_int(root, "size_multiple", arch.size_multiple, err, "architecture"))
    return Status::Error(err);
  auto nodes = root.find("nodes");
  if (nodes == root.end() || !nodes->is_array()) return Status::Error("architecture: 'nodes' must be an array");
  if (nodes->size() > kMaxNodes) return Status::Error("architecture has too many nodes");
  std::unordered_map<std::string, int> index_of;  // node name -> index of the latest node with that name
  for (const json& j : *nodes) {
    const std::string ctx = "architecture node " + std::to_string(arch.nodes.size());
    if (!j.is_object()) return Status::Error(ctx + " is not an object");
    Node n;
    auto name = j.find("name");
    if (name == j.end() || !name->is_string()) return Status::Error(ctx + ": missing 'name'");
    n.name = name->get<std::string>();
    auto op = j.find("op");
    if (op == j.end() || !op->is_string()) return Status::Error(ctx + ": missing 'op'");
    bool known = false;
    for (int k = 0; k < 7; ++k)
      if (op->get<std::string>() == kOpNames[k]) n.op = static_cast<Op>(k), known = true;
    if (!known) return Status::Error(ctx + ": unknown op '" + op->get<std::string>() + "'");
    if (auto act = j.find("act"); act != j.end()) {
      known = false;
      for (int k = 0; k < 3; ++k)
        if (act->is_string() && act->get<std::string>() == kActNames[k]) n.act = static_cast<Act>(k), known = true;
      if (!known) return Status::Error(ctx + ": unknown activation");
    }
    if (!read_int(j, "cin", n.cin, err, ctx) || !read_int(j, "cout", n.cout, err, ctx) ||
        !read_int(j, "kernel", n.kernel, err, ctx) || !read_int(j, "stride", n.stride, err, ctx) ||
        !read_int(j, "scale", n.stride, err, ctx) || !read_int(j, "pad", n.pad, err, ctx) ||
        !read_int(j, "output_pad", n.output_pad, err, ctx))
      return Status::Error(err);
    auto inputs = j.find("inputs");
    if (inputs == j.end() || !inputs->is_array()) return Status::Error(ctx + ": 'inputs' must be an array");
    // No operator takes more than two inputs; refusing longer lists first keeps a hostile header from making
    // the name lookups below run for minutes.
    if (inputs->size() > kMaxInputs)
      return Status::Error(ctx + ": has " + std::to_string(inputs->size()) + " inputs; no operator takes more than " +
                           std::to_string(kMaxInputs));
    for (const json& in : *inputs) {
      if (!in.is_string()) return Status::Error(ctx + ": inputs must be node names");
      const std::string in_name = in.get<std::string>();
      auto found = index_of.find(in_name);
      const int index = in_name == "input" ? kGraphInput : found == index_of.end() ? -2 : found->second;
      if (index == -2) return Status::Error(ctx + ": input '" + in_name + "' is not an earlier node");
      n.inputs.push_back(index);
    }
    index_of[n.name] = static_cast<int>(arch.nodes.size());
    arch.nodes.push_back(std::move(n));
  }
  if (Status s = validate(arch); !s.ok()) return s;
  return arch;
}

std::vector<std::string> builtin_arch_names() {
  return {"seed", "conv", "unet", "unet32", "photo", "photo-gray", "photo-camera", "photo-gray-camera"};
}

Result<Arch> builtin_arch(std::string_view name) {
  if (name == "seed") return seed_arch();
  if (name == "conv") return conv_arch();
  if (name == "unet") return unet_arch("unet", 16, 1);
  if (name == "unet32") return unet_arch("unet32", 32, 1);
  if (name == "photo") return unet_arch("photo", 32, 3);
  if (name == "photo-gray") return unet_arch("photo-gray", 32, 1);
  if (name == "photo-camera") return unet_arch("photo-camera", 32, 3);
  if (name == "photo-gray-camera") return unet_arch("photo-gray-camera", 32, 1);
  std::string known;
  for (const std::string& n : builtin_arch_names()) known += (known.empty() ? "" : ", ") + n;
  return Status::Error("unknown model '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace dae
