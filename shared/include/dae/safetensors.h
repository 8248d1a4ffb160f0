// A checked reader for the safetensors weights format: every header field, offset, dtype and shape is
// validated before any tensor data is touched, and nothing is read past the end of the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dae/result.h"

namespace dae {

// Largest header accepted; real model headers are a few KiB.
inline constexpr uint64_t kMaxSafetensorsHeader = 16u << 20;

struct SafetensorsEntry {
  std::string dtype;            // "F32" and "F16" can be read as floats
  std::vector<int64_t> shape;   // each dimension >= 0
  uint64_t begin = 0, end = 0;  // byte range inside the data section
};

// A parsed file that borrows the caller's bytes: keep them alive while using it.
struct SafetensorsView {
  std::map<std::string, SafetensorsEntry> tensors;
  std::map<std::string, std::string> metadata;
  const uint8_t* data = nullptr;  // start of the data section
  uint64_t data_size = 0;

  // Copies an F32 or F16 tensor out as floats (little-endian, any alignment; F16 converts exactly).
  Result<std::vector<float>> floats(const std::string& name) const;
};

// `bytes` is the whole file. Errors say which field of which tensor is wrong.
Result<SafetensorsView> parse_safetensors(const uint8_t* bytes, size_t size);

}  // namespace dae
