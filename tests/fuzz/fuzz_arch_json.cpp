// Fuzz target: arbitrary text as architecture JSON; whatever parses must round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dae/arch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dae::Result<dae::Arch> arch = dae::arch_from_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!arch.ok()) return 0;
  dae::Result<dae::Arch> again = dae::arch_from_json(dae::arch_to_json(*arch));
  if (!again.ok() || dae::arch_to_json(*again) != dae::arch_to_json(*arch)) std::abort();
  (void)dae::param_count(*arch);
  return 0;
}
