// Gzip IDX reader for Fashion-MNIST; every header field and length is checked before the data is used.
#include "data.h"

#include <zlib.h>

#include <stdexcept>

namespace dae::trainer {
namespace {

// IDX magic: two zero bytes, type 0x08 (unsigned byte), then the rank.
constexpr uint32_t kIdxUbyteMagic = 0x00000800;
// Guards against absurd headers before any allocation.
constexpr int64_t kMaxIdxBytes = int64_t(1) << 30;
constexpr const char* kInstallHint =
    " (install the dataset with `apt-get install dataset-fashion-mnist`, or pass --data DIR)";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what + kInstallHint);
}

// Reads exactly `size` bytes or fails naming the file.
void read_exact(gzFile f, const std::string& path, void* dst, size_t size, const char* what) {
  size_t done = 0;
  while (done < size) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
    const int got = gzread(f, static_cast<char*>(dst) + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      fail(path, std::string("cannot decompress ") + what + ": " + (msg ? msg : "zlib error"));
    }
    if (got == 0) fail(path, std::string("file ends inside the ") + what);
    done += static_cast<size_t>(got);
  }
}

uint32_t big_endian(const uint8_t* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

}  // namespace

const char* const kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

IdxFile read_idx_gz(const std::string& path, int expected_rank) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) fail(path, "cannot open the file");
  uint8_t head[4];
  read_exact(f.get(), path, head, 4, "header");
  const uint32_t magic = big_endian(head);
  if ((magic & 0xFFFFFF00u) != kIdxUbyteMagic) fail(path, "not an unsigned-byte IDX file (bad magic number)");
  const int rank = static_cast<int>(magic & 0xFF);
  if (rank != expected_rank)
    fail(path, "has " + std::to_string(rank) + " dimensions, expected " + std::to_string(expected_rank));
  IdxFile idx;
  int64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    uint8_t d[4];
    read_exact(f.get(), path, d, 4, "header");
    const int64_t dim = big_endian(d);
    if (dim <= 0 || total * dim > kMaxIdxBytes) fail(path, "has an impossible dimension " + std::to_string(dim));
    total *= dim;
    idx.dims.push_back(dim);
  }
  idx.bytes.resize(static_cast<size_t>(total));
  read_exact(f.get(), path, idx.bytes.data(), idx.bytes.size(), "data");
  char extra;
  if (gzread(f.get(), &extra, 1) != 0) fail(path, "has trailing bytes after the data (corrupt or wrong file)");
  return idx;
}

namespace {

Split read_split(const std::string& dir, const std::string& prefix) {
  const std::string image_path = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string label_path = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  IdxFile images = read_idx_gz(image_path, 3);
  IdxFile labels = read_idx_gz(label_path, 1);
  if (images.dims[1] != 28 || images.dims[2] != 28)
    fail(image_path,
         "holds " + std::to_string(images.dims[1]) + "x" + std::to_string(images.dims[2]) + " images, expected 28x28");
  if (labels.dims[0] != images.dims[0])
    fail(label_path,
         "holds " + std::to_string(labels.dims[0]) + " labels for " + std::to_string(images.dims[0]) + " images");
  for (uint8_t l : labels.bytes)
    if (l > 9) fail(label_path, "holds a label outside 0..9");
  const int64_t n = images.dims[0];
  Split s;
  s.images = torch::from_blob(images.bytes.data(), {n, 1, 28, 28}, torch::kUInt8).to(torch::kFloat32).div_(255.0f);
  s.labels = torch::from_blob(labels.bytes.data(), {n}, torch::kUInt8).to(torch::kInt64);
  return s;
}

}  // namespace

Dataset load_fashion_mnist(const std::string& dir) {
  Dataset d;
  d.train = read_split(dir, "train");
  d.test = read_split(dir, "t10k");
  return d;
}

Split head(const Split& s, int64_t count) {
  if (count <= 0 || count >= s.size()) return s;
  return slice(s, 0, count);
}

Split slice(const Split& s, int64_t begin, int64_t end) {
  return {s.images.slice(0, begin, end), s.labels.slice(0, begin, end)};
}

}  // namespace dae::trainer
