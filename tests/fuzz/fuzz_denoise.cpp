// Fuzz target: dae::denoise_channels on arbitrary small inputs. The bytes choose the model (1- or 3-channel, random
// weights), the image's batch, channels and size (odd sizes, 1×1 and sizes below the pooling grid included), the
// ensemble, the gray options and the pixel values (any float: NaN, infinities, huge). Whatever is accepted must
// come back with the input's shape, and with values in [0, 1] when every input value was finite and moderate.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dae/channels.h"
#include "dae/engine.h"

namespace {

// A small random model of each channel count, built once (the same weights for every run).
const dae::Model& model(int channels) {
  static const dae::Model* models[2] = {nullptr, nullptr};
  const dae::Model*& m = models[channels == 3];
  if (!m) {
    dae::Result<dae::Arch> arch =
        dae::arch_from_json(std::string(R"({"name":"fuzz","channels":)") + std::to_string(channels) + R"(,"nodes":[
          {"name":"a","op":"conv","inputs":["input"],"cin":)" +
                            std::to_string(channels) + R"(,"cout":4,"kernel":3,"pad":1,"act":"relu"},
          {"name":"p","op":"maxpool","inputs":["a"],"kernel":2},
          {"name":"u","op":"upsample","inputs":["p"],"scale":2},
          {"name":"c","op":"concat","inputs":["u","a"]},
          {"name":"n","op":"conv","inputs":["c"],"cin":8,"cout":)" +
                            std::to_string(channels) + R"(,"kernel":3,"pad":1},
          {"name":"o","op":"sub","inputs":["input","n"]}]})");
    if (!arch.ok()) std::abort();
    std::map<std::string, std::vector<float>> weights;
    uint32_t state = 12345;
    for (const dae::ParamSpec& spec : dae::param_specs(*arch)) {
      int64_t count = 1;
      for (int64_t d : spec.shape) count *= d;
      std::vector<float> v(static_cast<size_t>(count));
      for (float& x : v) state = state * 1664525u + 1013904223u, x = float(state >> 8) / float(1 << 24) * 0.4f - 0.2f;
      weights[spec.name] = std::move(v);
    }
    dae::Result<dae::Model> loaded = dae::Model::from_weights(*arch, std::move(weights));
    if (!loaded.ok()) std::abort();
    m = new dae::Model(std::move(*loaded));
  }
  return *m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 6) return 0;
  const int model_channels = data[0] & 1 ? 3 : 1;
  // Sides up to 32 reach two full AVX-512 vectors and every leftover width; two images test the batch.
  const int n = 1 + data[1] % 2, c = data[2] & 1 ? 3 : 1, h = 1 + data[3] % 32, w = 1 + data[4] % 32;
  dae::ChannelOptions options;
  options.run.ensemble = 1 << (data[5] % 4);
  options.run.threads = 1 + (data[5] >> 2) % 3;
  options.gray_draws = 1 + (data[5] >> 4) % 2;
  options.gray_sigma = data[5] & 0x40 ? -1.0f : 0.1f;
  data += 6, size -= 6;
  dae::Tensor image(n, c, h, w);
  bool finite = true;
  for (size_t i = 0; i < image.size(); ++i) {
    float v = 0.5f;
    if (size >= 4 * (i + 1)) std::memcpy(&v, data + 4 * i, 4);
    image.data[i] = v;
    finite = finite && std::isfinite(v) && std::fabs(v) <= 1e3f;
  }
  dae::Result<dae::Tensor> out = dae::denoise_channels(model(model_channels), image, options);
  if (!out.ok()) return 0;
  if (out->n != n || out->c != c || out->h != h || out->w != w) std::abort();
  if (finite)
    for (float v : out->data)
      if (!(v >= 0.0f && v <= 1.0f)) std::abort();
  return 0;
}
