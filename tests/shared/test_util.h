// Helpers for engine tests: a safetensors builder that can also write malformed files, and seeded data.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dae/arch.h"
#include "dae/noise.h"

namespace dae::testing {

// A model's training history (dae-train --snapshots) beside it in a models folder: not a model.
inline bool is_training_history(const std::string& file_name) {
  static const std::string kSuffix = ".snapshots.safetensors";
  return file_name.size() > kSuffix.size() &&
         file_name.compare(file_name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

struct RawTensor {
  std::string name;
  std::string dtype = "F32";
  std::vector<int64_t> shape;
  std::vector<float> values;
  std::vector<uint8_t> raw;  // when not empty, written as the tensor's bytes instead of `values` (other dtypes)
};

inline std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// Serialises tensors (and string metadata) in the safetensors layout.
inline std::vector<uint8_t> make_safetensors(const std::vector<RawTensor>& tensors,
                                             const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); ++i)
      header += (i ? "," : "") + std::string("\"") + json_escape(metadata[i].first) + "\":\"" +
                json_escape(metadata[i].second) + "\"";
    header += "}";
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const RawTensor& t = tensors[i];
    std::string shape;
    for (size_t d = 0; d < t.shape.size(); ++d) shape += (d ? "," : "") + std::to_string(t.shape[d]);
    const uint64_t bytes = t.raw.empty() ? t.values.size() * 4 : t.raw.size();
    header += (i || !metadata.empty() ? "," : "") + std::string("\"") + t.name + "\":{\"dtype\":\"" + t.dtype +
              "\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  std::vector<uint8_t> out(8);
  const uint64_t len = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(len >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  for (const RawTensor& t : tensors) {
    if (!t.raw.empty()) {
      out.insert(out.end(), t.raw.begin(), t.raw.end());
      continue;
    }
    const size_t at = out.size();
    out.resize(at + t.values.size() * 4);
    std::memcpy(out.data() + at, t.values.data(), t.values.size() * 4);
  }
  return out;
}

// Seeded random weights for every parameter of `arch`, scaled like a fan-in initialisation.
inline std::vector<RawTensor> random_weights(const Arch& arch, uint64_t seed) {
  Rng rng(seed);
  std::vector<RawTensor> out;
  for (const ParamSpec& p : param_specs(arch)) {
    RawTensor t{p.name, "F32", p.shape, {}};
    size_t count = 1;
    for (int64_t d : p.shape) count *= static_cast<size_t>(d);
    const float scale = p.shape.size() == 4 ? 1.0f / std::sqrt(float(p.shape[1] * p.shape[2] * p.shape[3])) : 0.1f;
    for (size_t i = 0; i < count; ++i) t.values.push_back(scale * (2.0f * rng.uniform() - 1.0f));
    out.push_back(std::move(t));
  }
  return out;
}

inline std::vector<uint8_t> model_file(const Arch& arch, uint64_t seed) {
  return make_safetensors(random_weights(arch, seed), {{"dae.arch", arch_to_json(arch)}});
}

}  // namespace dae::testing
