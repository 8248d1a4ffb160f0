// Timing and model helpers shared by the native benchmark programs.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dae/engine.h"
#include "dae/noise.h"
#include "dae/safetensors.h"

namespace dae::bench {

// Median seconds per call of `fn`: repeats blocks of calls until about `budget_s` has passed.
inline double median_seconds(const std::function<void()>& fn, double budget_s = 1.0, int min_runs = 5) {
  using clock = std::chrono::steady_clock;
  fn();  // warm-up: scratch buffers, caches
  std::vector<double> runs;
  const auto start = clock::now();
  while (static_cast<int>(runs.size()) < min_runs ||
         std::chrono::duration<double>(clock::now() - start).count() < budget_s) {
    const auto t0 = clock::now();
    fn();
    runs.push_back(std::chrono::duration<double>(clock::now() - t0).count());
    if (runs.size() >= 2000) break;
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

// Median seconds per call of `a` and of `b`, timed alternately so both see the same machine load
// (the ratio of the two is what a benchmark reports; other processes may be running).
inline std::pair<double, double> median_seconds_interleaved(const std::function<void()>& a,
                                                            const std::function<void()>& b, double budget_s = 2.0,
                                                            int min_runs = 5) {
  using clock = std::chrono::steady_clock;
  auto time = [](const std::function<void()>& fn) {
    const auto t0 = clock::now();
    fn();
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  a(), b();  // warm-up
  std::vector<double> ta, tb;
  const auto start = clock::now();
  while (static_cast<int>(ta.size()) < min_runs ||
         std::chrono::duration<double>(clock::now() - start).count() < budget_s) {
    ta.push_back(time(a));
    tb.push_back(time(b));
    if (ta.size() >= 2000) break;
  }
  std::sort(ta.begin(), ta.end());
  std::sort(tb.begin(), tb.end());
  return {ta[ta.size() / 2], tb[tb.size() / 2]};
}

// An architecture with its weights: from a model file if it exists, else seeded random weights
// (speed does not depend on the values).
struct LoadedWeights {
  Arch arch;
  std::map<std::string, std::vector<float>> weights;
  std::string source;
};

inline Result<LoadedWeights> load_weights(const std::string& path, const std::string& arch_name) {
  LoadedWeights out;
  std::ifstream file(path, std::ios::binary);
  if (file) {
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    Result<SafetensorsView> view = parse_safetensors(bytes.data(), bytes.size());
    if (!view.ok()) return Status::Error(path + ": " + view.error());
    auto meta = view->metadata.find(kArchMetadataKey);
    if (meta == view->metadata.end()) return Status::Error(path + ": no architecture metadata");
    Result<Arch> arch = arch_from_json(meta->second);
    if (!arch.ok()) return arch.status();
    out.arch = *arch;
    for (const ParamSpec& p : param_specs(out.arch)) {
      Result<std::vector<float>> v = view->floats(p.name);
      if (!v.ok()) return Status::Error(path + ": " + v.error());
      out.weights[p.name] = std::move(*v);
    }
    out.source = path;
    return out;
  }
  Result<Arch> arch = builtin_arch(arch_name);
  if (!arch.ok()) return arch.status();
  out.arch = *arch;
  Rng rng(7);
  for (const ParamSpec& p : param_specs(out.arch)) {
    size_t count = 1;
    for (int64_t d : p.shape) count *= static_cast<size_t>(d);
    const float scale = p.shape.size() == 4 ? 1.0f / float(p.shape[1] * p.shape[2] * p.shape[3]) : 0.01f;
    std::vector<float>& w = out.weights[p.name];
    for (size_t i = 0; i < count; ++i) w.push_back(scale * (2.0f * rng.uniform() - 1.0f));
  }
  out.source = "random weights";
  return out;
}

inline Tensor random_images(int n, int c, int h, int w, uint64_t seed) {
  Tensor t(n, c, h, w);
  Rng rng(seed);
  for (float& v : t.data) v = rng.uniform();
  return t;
}

}  // namespace dae::bench
