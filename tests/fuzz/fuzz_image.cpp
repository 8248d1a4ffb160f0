// Fuzz target: arbitrary bytes as an uploaded or training image through dae::image::decode (stb_image behind the
// header checks); a decoded image must have the size it says and every value in [0, 1].
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dae::Result<dae::image::Image> img = dae::image::decode(data, size, "fuzz");
  if (!img.ok()) return 0;
  const dae::image::Image& m = *img;
  if (m.w < 1 || m.h < 1 || uint64_t(m.w) * m.h > dae::image::kMaxPixels || (m.channels != 1 && m.channels != 3) ||
      m.data.size() != m.plane() * m.channels)
    std::abort();
  for (float v : m.data)
    if (!(v >= 0.0f && v <= 1.0f)) std::abort();
  // The conversion callers apply next, on images small enough to keep thousands of runs a second.
  if (m.plane() <= (size_t(1) << 20) &&
      dae::image::to_channels(m, 4 - m.channels).data.size() != m.plane() * (4 - m.channels))
    std::abort();
  return 0;
}
