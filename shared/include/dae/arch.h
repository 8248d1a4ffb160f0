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
// Channels and size of one node's output for one image.
struct NodeSize {
  int c = 0, h = 0, w = 0;
};
// The output size of every node, in graph order, for one h×w input: the one place where each operator's size
// rule is applied (the engine's execution plan and flops() use it). Fails, naming the node, when the image is
// too small for a node or when the two inputs of a node differ in size.
Result<std::vector<NodeSize>> node_sizes(const Arch& arch, int h, int w);
// The code of a plain encoder-decoder (no node with two inputs: no skip connection, no residual): the index of the
// node with the fewest output values for an h×w input, the last node excepted, through which everything the decoder
// learns of the image must pass. -1 for graphs with skip connections or residuals, and when the size does not fit.
int code_node(const Arch& arch, int h, int w);
// The side an image is edge-padded to before it runs (the next multiple of size_multiple), as denoise() does.
int padded_side(const Arch& arch, int side);
// How many input pixels beyond each side of a region can change the outputs inside it, rounded up to a
// multiple of size_multiple: the halo a tiler adds around each tile (aligned tiles with this halo give the
// whole-image result in their core).
int context_radius(const Arch& arch);
// Multiply-adds ×2 for one h×w image (0 when the image is too small for the graph).
double flops(const Arch& arch, int h, int w);

// What one forward pass over `images` h×w images costs, from the architecture alone (node_sizes' rule).
struct Cost {
  double work = 0;         // multiply-adds of the convolutions; for other nodes, output values times inputs
  double peak_floats = 0;  // activation floats alive at the worst step: the input, and each node's output from
                           // its step to its last reader (convolution scratch, a few rows per thread, not counted)
  int work_node = -1;      // the node doing the most work
  int peak_node = -1;      // the node whose step reaches the peak
  // What the kernels that run the graph allocate beside the activations (convolution scratch, for the thread
  // count of the run), and the node needing the most: filled in by the engine, which knows its kernels.
  double scratch_floats = 0;
  int scratch_node = -1;
};
Result<Cost> cost(const Arch& arch, int images, int h, int w);
// The same from the node sizes node_sizes() gave for h×w.
Cost cost(const Arch& arch, const std::vector<NodeSize>& sizes, int images, int h, int w);

// The budget every model and every input must fit. Per image pixel, checked when a model is loaded (so a graph
// that is too costly at any size is refused before it runs), and in total (activations plus scratch) before every
// forward pass.
inline constexpr double kMaxWorkPerPixel = 1e7;            // about 100 times the 32-channel U-Net
inline constexpr double kMaxPeakFloatsPerPixel = 1 << 14;  // about 100 times the 32-channel U-Net
inline constexpr double kMaxPeakFloats = double(1 << 30);  // 4 GiB of activations
// Fails with a message naming the node and the amount when `images` h×w images exceed the budget (or do not fit
// the graph at all).
Status check_budget(const Arch& arch, int images, int h, int w);
// The same for a cost already worked out for those images.
Status check_budget(const Arch& arch, const Cost& cost, int images, int h, int w);

std::string arch_to_json(const Arch& arch);
Result<Arch> arch_from_json(std::string_view json);

// Architectures the trainer knows by name: "seed", "conv", "unet", "unet32" (grayscale, for Fashion-MNIST),
// "photo" (the unet32 graph for RGB images, trained on photographs), "photo-gray" (the unet32 graph again, one
// channel, trained on the luma of photographs) and "photo-camera" / "photo-gray-camera" (the same two graphs, for
// models that learned the noise a camera makes as well: what a photo someone uploads already carries).
// The browser's default model and the trainer's default --model.
inline constexpr const char* kDefaultArch = "unet32";
// The model the browser uses for full-resolution color uploads.
inline constexpr const char* kPhotoArch = "photo";
// The model for full-resolution gray uploads. Where it is missing, gray photos go to kPhotoArch, which takes them
// with synthetic color noise (dae::model_input).
inline constexpr const char* kPhotoGrayArch = "photo-gray";
// The models for photos with a camera's noise (color and gray); where one is missing, the photo model above.
inline constexpr const char* kPhotoCameraArch = "photo-camera";
inline constexpr const char* kPhotoGrayCameraArch = "photo-gray-camera";
// The model for an image file when none is chosen: the photo models for photos (color, or gray and larger than a
// 28×28 Fashion-MNIST image), their camera-noise versions when `camera` (a photo as it came from a camera, or one
// given a camera's noise), the default for the rest.
inline const char* arch_for_image(int width, int height, int channels, bool camera = false) {
  if (channels == 3) return camera ? kPhotoCameraArch : kPhotoArch;
  if (width <= 28 && height <= 28) return kDefaultArch;
  return camera ? kPhotoGrayCameraArch : kPhotoGrayArch;
}
std::vector<std::string> builtin_arch_names();
Result<Arch> builtin_arch(std::string_view name);

}  // namespace dae
