// Whole-file reads with a size limit checked before anything is read: the one way the engine, the image reader,
// the IDX reader and the trainer read files (model files, images, datasets).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dae/result.h"

namespace dae {

// The bytes of `path`. Errors: "cannot open 'path'", "cannot read 'path' (is it a directory?)", and
// "'path' is larger than N MiB" for files over `max_bytes`, refused without reading them.
Result<std::vector<uint8_t>> read_file_capped(const std::string& path, uint64_t max_bytes);

}  // namespace dae
