// The browser benchmark's WebAssembly side: the engine on a loaded model, timed in blocks of calls,
// and a SIMD multiply-add loop that measures this machine's attainable peak in the same page.
#include <emscripten/emscripten.h>

#include <cstdint>
#include <memory>

#include "dae/engine.h"
#include "dae/noise.h"
#include "dae/ops.h"

namespace {

std::unique_ptr<dae::Model> g_model;
dae::Tensor g_input;
dae::Tensor g_output;  // the last run's, so the page can check that both backends computed the same thing
dae::RunOptions g_options;
std::string g_error;

}  // namespace

extern "C" {

// Loads a model file from wasm memory; 0 on success, else see bench_error().
EMSCRIPTEN_KEEPALIVE int bench_load(const uint8_t* bytes, size_t size) {
  dae::Result<dae::Model> m = dae::Model::from_safetensors(bytes, size);
  if (!m.ok()) {
    g_error = m.error();
    return 1;
  }
  g_model = std::make_unique<dae::Model>(std::move(*m));
  return 0;
}

EMSCRIPTEN_KEEPALIVE const char* bench_error() {
  return g_error.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* bench_isa() {
  return dae::ops::kernel_isa();
}

// The engine's thread count for bench_run (one in the single-threaded build, at most DAE_WASM_MAX_THREADS).
EMSCRIPTEN_KEEPALIVE void bench_set_threads(int threads) {
  g_options.threads = threads;
}

// Prepares a seeded random h×w input; returns the model's FLOPs for that size.
EMSCRIPTEN_KEEPALIVE double bench_prepare(int h, int w) {
  g_input = dae::Tensor(1, g_model->arch().channels, h, w);
  dae::Rng rng(5);
  for (float& v : g_input.data) v = rng.uniform();
  return dae::flops(g_model->arch(), h, w);
}

EMSCRIPTEN_KEEPALIVE int bench_channels() {
  return g_model->arch().channels;
}

// The prepared input and the last output, [1, channels, h, w] floats each.
EMSCRIPTEN_KEEPALIVE const float* bench_input() {
  return g_input.data.data();
}
EMSCRIPTEN_KEEPALIVE const float* bench_output() {
  return g_output.data.data();
}

// Runs `calls` forward passes back to back; returns the elapsed milliseconds (−1 on error).
EMSCRIPTEN_KEEPALIVE double bench_run(int calls) {
  const double t0 = emscripten_get_now();
  for (int i = 0; i < calls; ++i) {
    dae::Result<dae::Tensor> out = g_model->forward(g_input, g_options);
    if (!out.ok()) {
      g_error = out.error();
      return -1.0;
    }
    g_output = std::move(*out);
  }
  return emscripten_get_now() - t0;
}

// The engine's multiply-add peak on `threads` threads at once (dae::ops::peak_gflops: in SIMD128, a multiply and an
// add), in GFLOP/s: the roof of the benchmark's roofline.
EMSCRIPTEN_KEEPALIVE double bench_peak(int threads, double seconds) {
  return dae::ops::peak_gflops(threads, seconds);
}

}  // extern "C"
