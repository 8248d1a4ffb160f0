// ONNX export of an architecture graph with its trained weights, for ONNX Runtime Web and other runtimes.
#pragma once

#include <string>
#include <vector>

#include "graph_module.h"

namespace dae::trainer {

// ONNX opset the exporter writes.
inline constexpr int kOnnxOpset = 13;

// Writes `path` atomically: input "input" [N, C, H, W] and output "output", both with symbolic N, H, W,
// followed by Clip(0, 1) so the graph returns what the engine's denoise() returns for the same padded input.
// The file passes onnx::checker::check_model before it is written. With every_node, each node's output is a graph
// output too, under the node's name (before the final Clip): for comparing runtimes layer by layer.
void write_onnx(const std::string& path, GraphModule& model, bool every_node = false);

// False in a trainer built with -DDAE_WITH_ONNX=OFF, where write_onnx and check_onnx_file throw.
bool onnx_export_available();

// Loads an ONNX file, runs the checker and shape inference; returns the node op types in order. Throws on failure.
std::vector<std::string> check_onnx_file(const std::string& path);

}  // namespace dae::trainer
