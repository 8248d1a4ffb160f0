// ONNX export in a trainer built without libonnx-dev (-DDAE_WITH_ONNX=OFF): says so and how to get the file.
#include <stdexcept>

#include "export_onnx.h"

namespace dae::trainer {
namespace {

[[noreturn]] void unavailable(const std::string& path) {
  throw std::runtime_error("cannot write or check '" + path +
                           "': this dae-train was built without ONNX support (-DDAE_WITH_ONNX=OFF). Convert the "
                           "model file with a build that has it: dae-train export --from MODEL.safetensors --onnx " +
                           path);
}

}  // namespace

bool onnx_export_available() {
  return false;
}

void write_onnx(const std::string& path, GraphModule&, bool) {
  unavailable(path);
}

std::vector<std::string> check_onnx_file(const std::string& path) {
  unavailable(path);
}

}  // namespace dae::trainer
