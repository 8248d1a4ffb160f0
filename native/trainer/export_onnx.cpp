// Translates the architecture graph node by node into ONNX protobuf messages built with libonnx's classes.
#include "export_onnx.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

#include "export_safetensors.h"

namespace dae::trainer {
namespace {

void add_ints(onnx::NodeProto* node, const char* name, std::initializer_list<int64_t> values) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void add_int(onnx::NodeProto* node, const char* name, int64_t value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void add_string(onnx::NodeProto* node, const char* name, const std::string& value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::string& name,
                          std::initializer_list<std::string> inputs, const std::string& output) {
  onnx::NodeProto* node = g->add_node();
  node->set_op_type(op);
  node->set_name(name);
  for (const std::string& in : inputs) node->add_input(in);
  node->add_output(output);
  return node;
}

void add_initializer(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims, const float* data,
                     size_t count) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  // raw_data is little-endian by definition; this project only builds on little-endian hosts.
  std::string raw(count * sizeof(float), '\0');
  std::memcpy(raw.data(), data, raw.size());
  t->set_raw_data(raw);
}

void set_image_type(onnx::ValueInfoProto* v, const std::string& name, int channels) {
  v->set_name(name);
  onnx::TypeProto_Tensor* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* shape = tt->mutable_shape();
  shape->add_dim()->set_dim_param("N");
  shape->add_dim()->set_dim_value(channels);
  shape->add_dim()->set_dim_param("H");
  shape->add_dim()->set_dim_param("W");
}

}  // namespace

bool onnx_export_available() {
  return true;
}

void write_onnx(const std::string& path, GraphModule& model, bool every_node) {
  const Arch& arch = model->arch();
  onnx::ModelProto proto;
  proto.set_ir_version(onnx::IR_VERSION);
  proto.set_producer_name("dae-train");
  proto.set_model_version(1);
  proto.set_doc_string("Denoising autoencoder '" + arch.name + "'; input and output in [0, 1], H and W multiples of " +
                       std::to_string(arch.size_multiple));
  onnx::OperatorSetIdProto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  onnx::GraphProto* g = proto.mutable_graph();
  g->set_name(arch.name);
  set_image_type(g->add_input(), "input", arch.channels);
  set_image_type(g->add_output(), "output", arch.channels);

  std::map<std::string, torch::Tensor> weights;
  for (auto& [name, t] : model->named_weights()) {
    weights[name] = t;
    add_initializer(g, name, t.sizes().vec(), t.data_ptr<float>(), t.numel());
  }
  auto value_name = [&](int index) { return index == kGraphInput ? std::string("input") : arch.nodes[index].name; };
  bool need_scales[9] = {};
  for (const Node& n : arch.nodes) {
    const std::string in0 = value_name(n.inputs[0]);
    // The operator's result goes to the node's name unless an activation follows it.
    const std::string op_out = n.act == Act::None ? n.name : n.name + ".pre";
    onnx::NodeProto* node = nullptr;
    switch (n.op) {
      case Op::Conv:
      case Op::ConvTranspose:
        node = add_node(g, n.op == Op::Conv ? "Conv" : "ConvTranspose", n.name,
                        {in0, n.name + ".weight", n.name + ".bias"}, op_out);
        add_ints(node, "kernel_shape", {n.kernel, n.kernel});
        add_ints(node, "strides", {n.stride, n.stride});
        add_ints(node, "pads", {n.pad, n.pad, n.pad, n.pad});
        if (n.op == Op::ConvTranspose) add_ints(node, "output_padding", {n.output_pad, n.output_pad});
        break;
      case Op::MaxPool:
        node = add_node(g, "MaxPool", n.name, {in0}, op_out);
        add_ints(node, "kernel_shape", {n.kernel, n.kernel});
        add_ints(node, "strides", {n.kernel, n.kernel});
        break;
      case Op::Upsample: {
        // asymmetric + floor maps output pixel y to input pixel floor(y / s): the engine's nearest upsampling.
        const std::string scales = "scales_x" + std::to_string(n.stride);
        need_scales[n.stride] = true;
        node = add_node(g, "Resize", n.name, {in0, "", scales}, op_out);
        add_string(node, "mode", "nearest");
        add_string(node, "coordinate_transformation_mode", "asymmetric");
        add_string(node, "nearest_mode", "floor");
        break;
      }
      case Op::Concat:
        node = add_node(g, "Concat", n.name, {in0, value_name(n.inputs[1])}, op_out);
        add_int(node, "axis", 1);
        break;
      case Op::Add: add_node(g, "Add", n.name, {in0, value_name(n.inputs[1])}, op_out); break;
      case Op::Sub: add_node(g, "Sub", n.name, {in0, value_name(n.inputs[1])}, op_out); break;
    }
    if (n.act != Act::None) add_node(g, n.act == Act::Relu ? "Relu" : "Sigmoid", n.name + ".act", {op_out}, n.name);
  }
  for (int s = 1; s < 9; ++s)
    if (need_scales[s]) {
      const float scales[4] = {1.0f, 1.0f, float(s), float(s)};
      add_initializer(g, "scales_x" + std::to_string(s), {4}, scales, 4);
    }
  // The graph ends in a clamp to [0, 1], like dae::finish_output, because the ONNX file is also used on its own
  // (onnxruntime, netron, other tools) where nothing clamps after it. The page does not rely on it: it passes
  // ONNX Runtime's output through dae::finish_output as well, so a file without the Clip is shown the same.
  const float lo = 0.0f, hi = 1.0f;
  add_initializer(g, "clip_min", {}, &lo, 1);
  add_initializer(g, "clip_max", {}, &hi, 1);
  add_node(g, "Clip", "clamp", {arch.nodes.back().name, "clip_min", "clip_max"}, "output");
  if (every_node)
    for (const Node& n : arch.nodes) {
      onnx::ValueInfoProto* v = g->add_output();
      v->set_name(n.name);
      onnx::TypeProto_Tensor* tt = v->mutable_type()->mutable_tensor_type();
      tt->set_elem_type(onnx::TensorProto::FLOAT);
      tt->mutable_shape()->add_dim()->set_dim_param("N");  // the rest as ONNX Runtime infers them
      for (const char* d : {".C", ".H", ".W"}) tt->mutable_shape()->add_dim()->set_dim_param(n.name + d);
    }

  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    throw std::runtime_error("ONNX export of '" + arch.name + "' fails the checker: " + e.what());
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) throw std::runtime_error("cannot serialise the ONNX model");
  write_file_atomic(path, bytes);
}

std::vector<std::string> check_onnx_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open '" + path + "'");
  onnx::ModelProto proto;
  if (!proto.ParseFromIstream(&f)) throw std::runtime_error("'" + path + "' is not an ONNX model");
  onnx::checker::check_model(proto);
  onnx::shape_inference::InferShapes(proto);
  std::vector<std::string> ops;
  for (const onnx::NodeProto& n : proto.graph().node()) ops.push_back(n.op_type());
  return ops;
}

}  // namespace dae::trainer
