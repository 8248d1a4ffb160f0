// A nesting limit checked before JSON text is parsed: nlohmann's parser builds every nested array or object, so
// 16 MiB of "[[[[..." would cost hundreds of MiB (more in the wasm heap) before any field is checked.
#pragma once

#include <string_view>

namespace dae::detail {

// Deepest nesting a model file's JSON needs is 4 (header -> metadata, arch -> nodes -> node -> inputs); this leaves
// room for files of later versions and refuses only pathological ones.
inline constexpr int kMaxJsonDepth = 32;

// True when no array or object in `text` lies deeper than `max_depth` (brackets inside strings do not count).
inline bool json_depth_within(std::string_view text, int max_depth = kMaxJsonDepth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace dae::detail
