// Safetensors parsing with every size and offset checked against the buffer.
#include "dae/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "dae/half.h"
#include "json_depth.h"

namespace dae {
namespace {

using nlohmann::json;

constexpr int kMaxRank = 8;

size_t dtype_bytes(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
  return 0;
}

Result<SafetensorsEntry> parse_entry(const std::string& name, const json& j, uint64_t data_size) {
  const std::string ctx = "safetensors: tensor '" + name + "'";
  if (!j.is_object()) return Status::Error(ctx + " is not a JSON object");
  SafetensorsEntry e;
  auto dtype = j.find("dtype");
  if (dtype == j.end() || !dtype->is_string()) return Status::Error(ctx + " has no 'dtype' string");
  e.dtype = dtype->get<std::string>();
  const size_t elem = dtype_bytes(e.dtype);
  if (elem == 0) return Status::Error(ctx + " has unknown dtype '" + e.dtype + "'");
  auto shape = j.find("shape");
  if (shape == j.end() || !shape->is_array()) return Status::Error(ctx + " has no 'shape' array");
  if (shape->size() > kMaxRank) return Status::Error(ctx + " has more than 8 dimensions");
  uint64_t count = 1;
  for (const json& d : *shape) {
    if (!d.is_number_unsigned()) return Status::Error(ctx + " has a shape entry that is not a non-negative integer");
    const uint64_t v = d.get<uint64_t>();
    if (v > data_size || (v != 0 && count > data_size / v))
      return Status::Error(ctx + " has a shape larger than the file");
    count *= v;
    e.shape.push_back(static_cast<int64_t>(v));
  }
  auto offsets = j.find("data_offsets");
  if (offsets == j.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    return Status::Error(ctx + " needs 'data_offsets' as two non-negative integers");
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();
  if (e.begin > e.end) return Status::Error(ctx + " has data_offsets that end before they begin");
  if (e.end > data_size)
    return Status::Error(ctx + " has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                         "] past the end of the data (" + std::to_string(data_size) + " bytes)");
  if (e.end - e.begin != count * elem)
    return Status::Error(ctx + " has " + std::to_string(e.end - e.begin) + " bytes but its shape and dtype need " +
                         std::to_string(count * elem));
  return e;
}

// Names common files people load by mistake, from their first bytes.
const char* sniff_other_format(const uint8_t* b, size_t size) {
  if (size >= 4 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "a PNG image";
  if (size >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "a JPEG image";
  if (size >= 4 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') return "a GIF image";
  if (size >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) return "a ZIP archive (a PyTorch .pt file?)";
  if (size >= 2 && b[0] == 0x08 && b[1] < 0x20) return "an ONNX model (load the .safetensors file instead)";
  return nullptr;
}

}  // namespace

Result<SafetensorsView> parse_safetensors(const uint8_t* bytes, size_t size) {
  if (size == 0) return Status::Error("safetensors: the file is empty");
  if (size < 8)
    return Status::Error("safetensors: the file is " + std::to_string(size) + " bytes, too short for a header");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  // Only a file that is not a valid safetensors file is named by its magic bytes.
  const bool plausible = header_len >= 2 && header_len <= size - 8 && bytes[8] == '{';
  if (const char* other = plausible ? nullptr : sniff_other_format(bytes, size))
    return Status::Error(std::string("safetensors: this is ") + other + ", not a safetensors model");
  if (header_len > kMaxSafetensorsHeader)
    return Status::Error("safetensors: header length " + std::to_string(header_len) +
                         " is larger than the 16 MiB limit");
  if (header_len > size - 8)
    return Status::Error("safetensors: header length " + std::to_string(header_len) + " runs past the end of the " +
                         std::to_string(size) + "-byte file (truncated?)");
  if (header_len < 2 || bytes[8] != '{')
    return Status::Error("safetensors: the header is not a JSON object (wrong file type?)");
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  if (!detail::json_depth_within(std::string_view(text, header_len)))
    return Status::Error("safetensors: the header nests arrays or objects deeper than " +
                         std::to_string(detail::kMaxJsonDepth) + " levels (not a model file)");
  const json header = json::parse(text, text + header_len, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return Status::Error("safetensors: the header is not valid JSON");
  if (!header.is_object()) return Status::Error("safetensors: the header is not a JSON object");

  SafetensorsView view;
  view.data = bytes + 8 + header_len;
  view.data_size = size - 8 - header_len;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) return Status::Error("safetensors: __metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) return Status::Error("safetensors: metadata value '" + m.key() + "' is not a string");
        view.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    Result<SafetensorsEntry> entry = parse_entry(it.key(), *it, view.data_size);
    if (!entry.ok()) return entry.status();
    view.tensors[it.key()] = std::move(*entry);
  }
  // No two tensors may share bytes.
  std::vector<std::pair<const SafetensorsEntry*, const std::string*>> order;
  for (const auto& [name, e] : view.tensors) order.push_back({&e, &name});
  std::sort(order.begin(), order.end(), [](auto a, auto b) { return a.first->begin < b.first->begin; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i].first->begin < order[i - 1].first->end)
      return Status::Error("safetensors: tensors '" + *order[i - 1].second + "' and '" + *order[i].second +
                           "' overlap");
  return view;
}

Result<std::vector<float>> SafetensorsView::floats(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) return Status::Error("safetensors: no tensor named '" + name + "'");
  const SafetensorsEntry& e = it->second;
  const uint8_t* p = data + e.begin;
  if (e.dtype == "F16") {
    std::vector<float> out((e.end - e.begin) / 2);
    for (size_t i = 0; i < out.size(); ++i, p += 2) out[i] = half_to_float(uint16_t(p[0] | p[1] << 8));
    return out;
  }
  if (e.dtype != "F32")
    return Status::Error("safetensors: tensor '" + name + "' has dtype " + e.dtype + "; only F32 and F16 are supported");
  std::vector<float> out((e.end - e.begin) / 4);
  for (size_t i = 0; i < out.size(); ++i, p += 4) {
    const uint32_t bits = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    std::memcpy(&out[i], &bits, 4);
  }
  return out;
}

}  // namespace dae
