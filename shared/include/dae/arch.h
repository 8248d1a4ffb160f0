// Model architectures as a small operator graph: one description that the trainer builds LibTorch
// modules from, the ONNX exporter writes out, and the engine executes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dae/result.h"

namespace dae {

enum class Op {
  Conv,           // 2-D convolution, weight [cout, cin, k, k], bias [cout]
  ConvTranspose,  // 2-D transposed convolution, weight [cin, cout, k, k], bias [cout]
  MaxPool,        // k×k max pooling with stride k (k = `kernel`)
  Upsample,       // nearest-neighbour upsampling by `stride`
  Concat,         // channel concatenation of all inputs
  Add,            // inputs[0] + inputs[1]
  Sub,            // inputs[0] - inputs[1]
};

enum class Act { None, Relu, Sigmoid };

// Index of the graph input in Node::inputs.
inline constexpr int kGraphInput = -1;

struct Node {
  std::string name;
  Op op = Op::Conv;
  std::vector<int> inputs;  // indices of earlier nodes, or kGraphInput
  int cin = 0, cout = 0;    // channels (Conv, ConvTranspose); cout is filled in for every node
  int kernel = 0, stride = 1, pad = 0, output_pad = 0;
  Act act = Act::None;  // applied after the operator
};

struct ParamSpec {
  std::string name;            // "<node>.weight" or "<node>.bias"
  std::vector<int64_t> shape;  // PyTorch layout
};

// The graph's output is its last node.
struct Arch {
  std::string name;
  int channels = 1;       // input and output channels
  int size_multiple = 1;  // H and W must be multiples of this; the engine pads and crops others
  std::vector<Node> nodes;
};

const char* op_name(Op op);
const char* act_name(Act act);

// Checks that inputs precede their users, channel counts agree and attributes are in range, and
// fills in `cout` of the nodes whose channel count follows from their inputs.
Status validate(Arch& arch);
// Every learnable tensor the architecture needs, in graph order.
std::vector<ParamSpec> param_specs(const Arch& arch);
int64_t param_count(const Arch& arch);
// Multiply-adds ×2 for one h×w image.
double flops(const Arch& arch, int h, int w);

std::string arch_to_json(const Arch& arch);
Result<Arch> arch_from_json(std::string_view json);

// Architectures the trainer knows by name: "seed", "conv", "unet", "unet32" (grayscale, for Fashion-MNIST) and
// "photo" (the unet32 graph for RGB images, trained on photographs).
// The browser's default model and the trainer's default --model.
inline constexpr const char* kDefaultArch = "unet32";
// The model the browser uses for full-resolution color uploads.
inline constexpr const char* kPhotoArch = "photo";
std::vector<std::string> builtin_arch_names();
Result<Arch> builtin_arch(std::string_view name);

}  // namespace dae
