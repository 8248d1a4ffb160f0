// Fashion-MNIST loading through the checked IDX reader; errors name the file and how to get the dataset.
#include "data.h"

#include <stdexcept>

#include "idx.h"

namespace dae::trainer {
namespace {

constexpr const char* kInstallHint =
    " (install the dataset with `apt-get install dataset-fashion-mnist`, or pass --data DIR)";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what + kInstallHint);
}

}  // namespace

IdxFile read_idx_gz(const std::string& path, int expected_rank) {
  Result<idx::IdxFile> idx = idx::read_file(path, expected_rank);
  if (!idx.ok()) throw std::runtime_error(idx.error() + kInstallHint);
  return std::move(*idx);
}

namespace {

Split read_split(const std::string& dir, const std::string& prefix) {
  const std::string image_path = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string label_path = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  Result<Tensor> images = idx::read_images_28(image_path);
  if (!images.ok()) throw std::runtime_error(images.error() + kInstallHint);
  IdxFile labels = read_idx_gz(label_path, 1);
  const int64_t n = images->n;
  if (labels.dims[0] != n)
    fail(label_path, "holds " + std::to_string(labels.dims[0]) + " labels for " + std::to_string(n) + " images");
  for (uint8_t l : labels.bytes)
    if (l > 9) fail(label_path, "holds a label outside 0..9");
  Split s;
  s.images = torch::from_blob(images->data.data(), {n, 1, 28, 28}, torch::kFloat32).clone();
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
