// Writing model files: a small safetensors writer, model export/import and the golden tensors the engine tests replay.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data.h"
#include "graph_module.h"

namespace dae::trainer {

enum class StoreAs { F32, F16 };

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;          // row-major, product of shape values
  std::optional<StoreAs> store;     // this tensor's type when it is not the file's
};

// Writes `bytes` to `path` through `path.tmp` and a rename, so readers never see a half-written file.
void write_file_atomic(const std::string& path, const std::string& bytes);

// Little-endian safetensors: 8-byte header length, JSON header (with "__metadata__"), data. Atomic. Each tensor is
// stored as `store` unless it says otherwise; F16 rounds each value to the nearest half and refuses values beyond the
// half range.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata, StoreAs store = StoreAs::F32);

// The model file: weights plus metadata "dae.arch" (the architecture JSON), "dae.name", "dae.params" and `extra`.
// Throws, writing nothing, when a weight is NaN or infinite.
void write_model_file(const std::string& path, GraphModule& model, std::map<std::string, std::string> extra,
                      StoreAs store = StoreAs::F32);
// Reads a model file back into a LibTorch module (CPU). Throws std::runtime_error with the engine's message.
GraphModule load_model_file(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

// Golden tensors for the engine: "input"/"output" (2 noisy 28x28 images) and "input_odd"/"output_odd" (one noisy
// 20x36 crop), outputs from the LibTorch forward in eval mode without clamping. A C-channel model's images are
// made of C Fashion-MNIST test images each, one per channel.
void write_golden(const std::string& path, GraphModule& model, const Split& test, uint64_t seed);
// The engine's output at every node (dae::RunOptions::observer) for one noisy 28x28 test image (σ 0.3; a C-channel
// model gets C test images as its channels): tensors "input" [1, C, 28, 28] and one per node under its name
// [1, c, h, w]. What ONNX Runtime's outputs of the same nodes are compared with (write_onnx's every_node).
void write_layer_outputs(const std::string& path, const std::string& model_path, const Split& test, uint64_t seed);

NamedTensor to_named(const std::string& name, const torch::Tensor& t);

}  // namespace dae::trainer
