// Fuzz target: arbitrary bytes as a model file; whatever loads must also run on a small image.
#include <cstddef>
#include <cstdint>

#include "dae/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dae::Result<dae::Model> model = dae::Model::from_safetensors(data, size);
  if (!model.ok()) return 0;
  // Keep runs fast: only small graphs are executed.
  if (dae::flops(model->arch(), 8, 8) > 5e6) return 0;
  dae::Tensor image(1, model->arch().channels, 7, 9, 0.5f);
  (void)dae::denoise(*model, image);
  return 0;
}
