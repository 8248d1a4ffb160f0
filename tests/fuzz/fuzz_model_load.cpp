// Fuzz target: arbitrary bytes as a model file; whatever loads must also run on a small image.
#include <cstddef>
#include <cstdint>

#include "dae/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dae::Result<dae::Model> model = dae::Model::from_safetensors(data, size);
  if (!model.ok()) return 0;
  // The loader has refused graphs over the engine's budget; of the rest only the cheap ones run, measured by the
  // same cost (every node's work, not only the convolutions'), so runs stay fast.
  dae::Result<dae::Cost> cost = dae::cost(model->arch(), 1, 8, 8);
  if (!cost.ok() || cost->work > 2.5e6) return 0;
  dae::Tensor image(1, model->arch().channels, 7, 9, 0.5f);
  (void)dae::denoise(*model, image);
  return 0;
}
