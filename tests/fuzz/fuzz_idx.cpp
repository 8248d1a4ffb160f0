// Fuzz target: arbitrary bytes as an IDX file, plain or gzip; a parsed file must hold exactly what its header says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A 1 MiB limit: gzip inputs that inflate past it take the same refusal path as a real bomb, and the rest
  // stay small enough for thousands of runs a second under the sanitizers.
  dae::Result<dae::idx::IdxFile> idx = dae::idx::parse(data, size, 0, int64_t(1) << 20);
  if (!idx.ok()) return 0;
  int64_t total = 1;
  for (int64_t d : idx->dims) total *= d;
  if (idx->dims.empty() || idx->dims.size() > 4 || total != static_cast<int64_t>(idx->bytes.size())) std::abort();
  return 0;
}
