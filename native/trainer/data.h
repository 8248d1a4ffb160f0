// Fashion-MNIST loading from the gzip-compressed IDX files the Debian package installs.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "idx.h"

namespace dae::trainer {

// Where `apt-get install dataset-fashion-mnist` puts the four files.
inline constexpr const char* kDefaultDataDir = "/usr/share/datasets/fashion-mnist";

struct Split {
  torch::Tensor images;  // [N, 1, 28, 28] float32 in [0, 1]
  torch::Tensor labels;  // [N] int64
  int64_t size() const { return images.size(0); }
};

struct Dataset {
  Split train, test;
};

// Reads `<dir>/train-images-idx3-ubyte.gz` and the other three files. Throws std::runtime_error naming the
// file and what is wrong with it (missing, not gzip, bad magic, wrong sizes, counts that disagree).
Dataset load_fashion_mnist(const std::string& dir);
// One IDX file (gzip or plain): dims and raw bytes, every size checked. Throws like load_fashion_mnist.
using IdxFile = idx::IdxFile;
IdxFile read_idx_gz(const std::string& path, int expected_rank);

// The first `count` images of a split (all of them if count <= 0 or larger).
Split head(const Split& s, int64_t count);
// Rows [begin, end) of a split.
Split slice(const Split& s, int64_t begin, int64_t end);

}  // namespace dae::trainer
