// Builds and runs the LibTorch version of an architecture graph, node by node like the engine does.
#include "graph_module.h"

#include <stdexcept>

namespace dae::trainer {
namespace {

torch::Tensor activate(torch::Tensor x, Act act) {
  switch (act) {
    case Act::None: return x;
    case Act::Relu: return torch::relu(x);
    case Act::Sigmoid: return torch::sigmoid(x);
  }
  return x;
}

}  // namespace

GraphModuleImpl::GraphModuleImpl(Arch arch) : arch_(std::move(arch)) {
  if (Status s = validate(arch_); !s.ok()) throw std::runtime_error(s.message());
  convs_.resize(arch_.nodes.size(), nullptr);
  deconvs_.resize(arch_.nodes.size(), nullptr);
  for (size_t i = 0; i < arch_.nodes.size(); ++i) {
    const Node& n = arch_.nodes[i];
    // Registering each layer under its node name gives parameter names "<node>.weight" and "<node>.bias".
    if (n.op == Op::Conv) {
      convs_[i] = register_module(
          n.name, torch::nn::Conv2d(torch::nn::Conv2dOptions(n.cin, n.cout, n.kernel).stride(n.stride).padding(n.pad)));
    } else if (n.op == Op::ConvTranspose) {
      deconvs_[i] =
          register_module(n.name, torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(n.cin, n.cout, n.kernel)
                                                                 .stride(n.stride)
                                                                 .padding(n.pad)
                                                                 .output_padding(n.output_pad)));
    }
  }
}

torch::Tensor GraphModuleImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> acts(arch_.nodes.size());
  auto input = [&](int index) -> const torch::Tensor& { return index == kGraphInput ? x : acts[index]; };
  for (size_t i = 0; i < arch_.nodes.size(); ++i) {
    const Node& n = arch_.nodes[i];
    const torch::Tensor& a = input(n.inputs[0]);
    torch::Tensor out;
    switch (n.op) {
      case Op::Conv: out = convs_[i]->forward(a); break;
      case Op::ConvTranspose: out = deconvs_[i]->forward(a); break;
      case Op::MaxPool: out = torch::max_pool2d(a, {n.kernel, n.kernel}, {n.kernel, n.kernel}); break;
      case Op::Upsample: out = torch::upsample_nearest2d(a, {a.size(2) * n.stride, a.size(3) * n.stride}); break;
      case Op::Concat: out = torch::cat({a, input(n.inputs[1])}, 1); break;
      case Op::Add: out = a + input(n.inputs[1]); break;
      case Op::Sub: out = a - input(n.inputs[1]); break;
    }
    acts[i] = activate(out, n.act);
  }
  return acts.back();
}

std::vector<std::pair<std::string, torch::Tensor>> GraphModuleImpl::named_weights() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  const auto params = named_parameters(/*recurse=*/true);
  for (const ParamSpec& spec : param_specs(arch_)) {
    const torch::Tensor* t = params.find(spec.name);
    if (!t) throw std::runtime_error("model has no parameter '" + spec.name + "'");
    out.emplace_back(spec.name, t->detach().to(torch::kCPU, torch::kFloat32).contiguous());
  }
  return out;
}

GraphModule make_model(const std::string& name) {
  Result<Arch> arch = builtin_arch(name);
  if (!arch.ok()) throw std::runtime_error(arch.error());
  return GraphModule(std::move(*arch));
}

}  // namespace dae::trainer
