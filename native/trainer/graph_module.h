// A LibTorch module built from a dae::Arch graph, with parameters named exactly as dae::param_specs names them.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "dae/arch.h"

namespace dae::trainer {

class GraphModuleImpl : public torch::nn::Module {
 public:
  explicit GraphModuleImpl(Arch arch);
  // x: [N, channels, H, W], H and W multiples of arch().size_multiple. No clamping: the raw graph output.
  torch::Tensor forward(const torch::Tensor& x);
  const Arch& arch() const { return arch_; }
  // "<node>.weight" / "<node>.bias" -> contiguous CPU float tensor, in dae::param_specs order.
  std::vector<std::pair<std::string, torch::Tensor>> named_weights() const;

 private:
  Arch arch_;
  // One entry per node; only Conv/ConvTranspose nodes hold a module.
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::ConvTranspose2d> deconvs_;
};
TORCH_MODULE(GraphModule);

// Builds the module for a built-in architecture name; throws std::runtime_error for unknown names.
GraphModule make_model(const std::string& name);

}  // namespace dae::trainer
