// IDX files (the MNIST family's format), plain or gzip-compressed, read with every size checked.
//
// An IDX file is a 4-byte magic (two zero bytes, a type byte, the rank), `rank` big-endian uint32
// dimensions, then the elements in row-major order. Only unsigned-byte files (type 0x08) are read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dae/result.h"
#include "dae/tensor.h"

namespace dae::idx {

struct IdxFile {
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;  // product(dims) elements
};

// Larger files are refused before they are decompressed in full (Fashion-MNIST's largest is 47 MB).
inline constexpr int64_t kDefaultMaxBytes = int64_t(1) << 30;

// Parses a whole file held in memory; gzip data (magic 1f 8b, one or more members) is inflated first, never
// past `max_bytes` of elements. `expected_rank` <= 0 accepts any rank from 1 to 4. Errors say what is wrong
// without naming a file.
Result<IdxFile> parse(const uint8_t* data, size_t size, int expected_rank, int64_t max_bytes = kDefaultMaxBytes);

// Reads and parses `path`; errors start with the path.
Result<IdxFile> read_file(const std::string& path, int expected_rank, int64_t max_bytes = kDefaultMaxBytes);

// Reads a file of 28×28 images (Fashion-MNIST's images files) as a [N, 1, 28, 28] tensor of byte / 255 values, the
// first `limit` images only when limit > 0. The one place those bytes become pixels for the trainer and the CLI.
// Errors start with the path.
Result<Tensor> read_images_28(const std::string& path, int64_t limit = 0, int64_t max_bytes = kDefaultMaxBytes);

}  // namespace dae::idx
