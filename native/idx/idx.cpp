// IDX parsing: the header is checked field by field, gzip is inflated under a cap, and the element count must
// match the data exactly (a short file is truncated, a long one is the wrong file).
#include "idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "dae/fashion_mnist.h"
#include "dae/file.h"

namespace dae::idx {
namespace {

constexpr int kMaxRank = 4;

uint32_t big_endian(const uint8_t* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

bool is_gzip(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

// Inflates every gzip member in `data` into `out`, failing once `out` would exceed `cap` bytes.
Status gunzip(const uint8_t* data, size_t size, size_t cap, std::vector<uint8_t>& out) {
  if (size > UINT32_MAX) return Status::Error("is too large for an IDX file");
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Error("cannot start gzip decompression");
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  Status status;
  std::vector<uint8_t> chunk(1 << 16);
  for (;;) {
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > cap) {
      status = Status::Error("decompresses to more than " + std::to_string(cap) + " bytes, the limit for an IDX file");
      break;
    }
    out.insert(out.end(), chunk.data(), chunk.data() + produced);
    if (rc == Z_OK) continue;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (gzip allows several); anything else fails in the next inflate call.
      if (inflateReset(&zs) != Z_OK) {
        status = Status::Error("cannot restart gzip decompression");
        break;
      }
      continue;
    }
    // Z_BUF_ERROR: inflate needs input that is not there.
    status = rc == Z_BUF_ERROR
                 ? Status::Error("gzip data ends early (truncated file)")
                 : Status::Error(std::string("corrupt gzip data (") + (zs.msg ? zs.msg : "zlib error") + ")");
    break;
  }
  inflateEnd(&zs);
  return status;
}

Result<IdxFile> parse_plain(const uint8_t* data, size_t size, int expected_rank, int64_t max_bytes) {
  if (size < 4) return Status::Error("too short for an IDX header (" + std::to_string(size) + " bytes)");
  const uint32_t magic = big_endian(data);
  if ((magic & 0xFFFF0000u) != 0) return Status::Error("not an IDX file (bad magic number)");
  const uint32_t type = (magic >> 8) & 0xFF;
  if (type != 0x08)
    return Status::Error("holds element type 0x" + std::string(1, "0123456789abcdef"[type >> 4]) +
                         std::string(1, "0123456789abcdef"[type & 15]) + ", only unsigned bytes (0x08) are read");
  const int rank = static_cast<int>(magic & 0xFF);
  if (rank < 1 || rank > kMaxRank) return Status::Error("has " + std::to_string(rank) + " dimensions (1 to 4 are read)");
  if (expected_rank > 0 && rank != expected_rank)
    return Status::Error("has " + std::to_string(rank) + " dimensions, expected " + std::to_string(expected_rank));
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  if (size < header) return Status::Error("ends inside the header");
  IdxFile idx;
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    const int64_t dim = big_endian(data + 4 + 4 * i);
    if (dim <= 0) return Status::Error("has an empty dimension (dimension " + std::to_string(i) + " is 0)");
    if (dim > max_bytes || total * dim > max_bytes)
      return Status::Error("has dimensions too large to read (more than " + std::to_string(max_bytes) + " bytes)");
    total *= dim;
    idx.dims.push_back(dim);
  }
  const size_t have = size - header;
  if (have < static_cast<size_t>(total))
    return Status::Error("ends inside the data: the header promises " + std::to_string(total) + " bytes, the file holds " +
                         std::to_string(have));
  if (have > static_cast<size_t>(total))
    return Status::Error("has " + std::to_string(have - static_cast<size_t>(total)) +
                         " trailing bytes after the data (corrupt or wrong file)");
  idx.bytes.assign(data + header, data + size);
  return idx;
}

}  // namespace

Result<IdxFile> parse(const uint8_t* data, size_t size, int expected_rank, int64_t max_bytes) {
  if (size == 0) return Status::Error("is empty");
  if (!is_gzip(data, size)) return parse_plain(data, size, expected_rank, max_bytes);
  std::vector<uint8_t> plain;
  // The largest header plus the largest data allowed.
  const size_t cap = static_cast<size_t>(max_bytes) + 4 + 4 * kMaxRank;
  if (Status s = gunzip(data, size, cap, plain); !s.ok()) return s;
  return parse_plain(plain.data(), plain.size(), expected_rank, max_bytes);
}

Result<IdxFile> read_file(const std::string& path, int expected_rank, int64_t max_bytes) {
  // A compressed file is never larger than its content plus gzip's small overhead per 16 KiB block.
  Result<std::vector<uint8_t>> read = read_file_capped(path, uint64_t(max_bytes + max_bytes / 64 + 1024));
  if (!read.ok()) return read.status();  // its message names the path
  const std::vector<uint8_t>& bytes = *read;
  Result<IdxFile> idx = parse(bytes.data(), bytes.size(), expected_rank, max_bytes);
  if (!idx.ok()) return Status::Error(path + ": " + idx.error());
  return idx;
}

Result<Tensor> read_images_28(const std::string& path, int64_t limit, int64_t max_bytes) {
  constexpr int kSide = fashion_mnist::kSide;
  Result<IdxFile> file = read_file(path, 3, max_bytes);
  if (!file.ok()) return file.status();
  if (file->dims[1] != kSide || file->dims[2] != kSide)
    return Status::Error(path + ": holds " + std::to_string(file->dims[1]) + "x" + std::to_string(file->dims[2]) +
                         " images, expected 28x28");
  const int64_t count = limit > 0 ? std::min(limit, file->dims[0]) : file->dims[0];
  if (count > std::numeric_limits<int>::max()) return Status::Error(path + ": holds too many images");
  Tensor t(static_cast<int>(count), 1, kSide, kSide);
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = file->bytes[i] / 255.0f;
  return t;
}

}  // namespace dae::idx
