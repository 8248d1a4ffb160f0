// Loading ONNX backend test cases and mapping single-operator graphs onto the engine's kernels.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dae::onnx_conformance {

// A dense float tensor read from a TensorProto.
struct FloatTensor {
  std::vector<int64_t> dims;
  std::vector<float> values;
};

struct Case {
  std::string name;     // folder name, e.g. "test_conv_with_strides_padding"
  std::string op_type;  // the graph's only node
  std::string dir;
};

// Every single-node case in `root` whose operator is one the engine implements.
std::vector<Case> find_cases(const std::string& root);

// The outcome of running one case through either the fast or the reference kernels.
struct Outcome {
  enum Kind { Pass, Skip, Fail } kind = Pass;
  std::string message;  // the unsupported attribute for Skip, the mismatch for Fail
};

// Runs the case with the fast kernels (reference = false) or the scalar references and compares
// with the expected outputs (|got − want| ≤ 1e-5 + 1e-4·|want|).
Outcome run_case(const Case& c, bool reference);

}  // namespace dae::onnx_conformance
