// The inference engine: load a model file, run it on images of any size.
//
//   std::vector<uint8_t> bytes = ...;                      // a model.safetensors file
//   dae::Result<dae::Model> model = dae::Model::from_safetensors(bytes.data(), bytes.size());
//   if (!model.ok()) { puts(model.error().c_str()); return; }
//   dae::Tensor noisy(1, 1, 28, 28);                        // values in [0, 1]
//   dae::Result<dae::Tensor> clean = dae::denoise(*model, noisy);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dae/arch.h"
#include "dae/result.h"
#include "dae/tensor.h"

namespace dae {

// Metadata key holding the architecture JSON in a model file.
inline constexpr const char* kArchMetadataKey = "dae.arch";
// The model file format: dae-train writes kFormatVersion under this key; files without it are version 1, and a
// file of another version is refused with a hint to re-export it.
inline constexpr const char* kFormatMetadataKey = "dae.format";
inline constexpr int kFormatVersion = 1;
// Largest height or width the engine accepts.
inline constexpr int kMaxImageSide = 16384;
// Largest model file read (Model::from_file and the trainer's loader).
inline constexpr uint64_t kMaxModelBytes = uint64_t(512) << 20;
// Largest number of floats any single activation may hold (1 GiB).
inline constexpr uint64_t kMaxActivationFloats = uint64_t(1) << 28;

// Sees the graph run, node by node (RunOptions::observer): `node` indexes arch().nodes, in graph order, and `data`
// holds that node's output for the first image of the batch, c planes of h×w floats, valid during the call only.
// The last node's output is forward()'s result. This is how the page's layer view and dae-denoise --dump-layers see
// inside a model.
using LayerObserver = std::function<void(int node, const float* data, int c, int h, int w)>;

struct RunOptions {
  bool reference = false;  // use the scalar reference kernels (for tests; always one thread)
  // Threads to use: one image's layers split by rows, tiles or channels, a batch of small images by groups.
  // The result is identical for every count. Ignored by builds without threads.
  int threads = 1;
  // Self-ensemble for dae::denoise: the mean of the model's results on 1, 2, 4 or 8 symmetries of the image
  // (identity; + left-right mirror; + top-bottom mirror and half turn; + the four with a transpose). Costs that
  // many runs; forward() ignores it.
  int ensemble = 1;
  // Called by forward() after each node, in graph order, on the thread that called forward() (empty: none).
  LayerObserver observer;
};

namespace detail {
class Compiled;
}

class Model {
 public:
  // Parses and checks a safetensors file held in memory: architecture metadata, every tensor's dtype
  // and shape against the architecture, no missing or extra tensors, finite values.
  static Result<Model> from_safetensors(const uint8_t* bytes, size_t size);
  static Result<Model> from_file(const std::string& path);
  static Result<Model> from_weights(Arch arch, std::map<std::string, std::vector<float>> weights);

  const Arch& arch() const { return arch_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  int64_t param_count() const;

  // Runs the graph. in: [N, channels, H, W] with H and W multiples of arch().size_multiple. Safe to call
  // from several threads at once.
  Result<Tensor> forward(const Tensor& in, const RunOptions& options = {}) const;
  // Node `node`'s output [1, c, h, w] for the first image of `in` (what the observer sees there), from a forward()
  // run with `options` (its observer is replaced). With decode() below this splits a plain autoencoder at its code.
  Result<Tensor> node_output(int node, const Tensor& in, RunOptions options = {}) const;
  // The graph after node `code`, given that node's output [N, c, h, w] (what the observer saw there, or a mix of two
  // such outputs): the decoder of a plain encoder-decoder split at its code (dae::code_node), on the reference
  // kernels. Refused when a later node reads the input or a node before `code` (the graph does not split there).
  Result<Tensor> decode(int code, const Tensor& value) const;

 private:
  Arch arch_;
  std::map<std::string, std::string> metadata_;
  std::vector<std::vector<float>> weights_, biases_;  // per node; empty for weightless nodes
  // The weights prepared for the fast kernels and the execution plans per input size (shared by copies).
  std::shared_ptr<const detail::Compiled> compiled_;

  Tensor reference_run(const Tensor& in, int after, Tensor value, const LayerObserver& observer) const;
};

// How many symmetries RunOptions::ensemble may use with this model: the file's "dae.symmetries" (1, 2, 4 or 8, what
// its training data was augmented with); without it 8 for models trained on image folders (flips and quarter
// turns) and 1 otherwise (Fashion-MNIST comes in one orientation: its shoes all point left, and a mirrored or
// turned copy is worse than none).
int model_symmetries(const Model& model);

// Denoises images of any size: pads edges up to the size multiple, runs, crops back and clamps the
// result to [0, 1]. noisy: [N, channels, H, W].
Result<Tensor> denoise(const Model& model, const Tensor& noisy, const RunOptions& options = {});

// The two ends of denoise() for a backend that runs the graph itself (ONNX Runtime Web in the page), so both
// backends see the same input and give back the same kind of output.
// pad_for_model: image [N, C, H, W] with H and W padded up to arch's size multiple by repeating the right and bottom
// edge pixels (an unchanged copy when they are multiples already).
Tensor pad_for_model(const Arch& arch, const Tensor& image);
// finish_output: out [N, C, >= h, >= w] cropped to its top-left h×w and each value times `scale` (1/k for the sum of
// k runs) clamped to [0, 1].
Tensor finish_output(Tensor out, int h, int w, float scale = 1.0f);

}  // namespace dae
