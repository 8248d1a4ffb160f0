// The IDX reader: the real dataset loads with the expected shapes, and missing or corrupt files are named in the error.
#include "data.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "test_dirs.h"

namespace {

using dae::trainer::load_fashion_mnist;

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

std::string idx_header(uint32_t magic, std::initializer_list<uint32_t> dims) {
  std::string s;
  for (uint32_t v : std::initializer_list<uint32_t>{magic})
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  for (uint32_t v : dims)
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return s;
}

// Runs the loader on `dir` and returns its error message ("" if it succeeded).
std::string load_error(const std::string& dir) {
  try {
    load_fashion_mnist(dir);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Data, LoadsFashionMnist) {
  const dae::trainer::Dataset d = load_fashion_mnist(dae::trainer::kDefaultDataDir);
  EXPECT_EQ(d.train.images.sizes(), (std::vector<int64_t>{60000, 1, 28, 28}));
  EXPECT_EQ(d.test.images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(d.test.labels.size(0), 10000);
  EXPECT_GE(d.train.images.min().item<float>(), 0.0f);
  EXPECT_LE(d.train.images.max().item<float>(), 1.0f);
  EXPECT_GT(d.train.images.mean().item<float>(), 0.2f);  // real images, not zeros
  EXPECT_EQ(d.train.labels.max().item<int64_t>(), 9);
}

TEST(Data, MissingFileIsNamedWithInstallHint) {
  const std::string dir = dae::test::scratch_dir();
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find(dir + "/train-images-idx3-ubyte.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("apt-get install dataset-fashion-mnist"), std::string::npos) << msg;
}

TEST(Data, CorruptFilesAreNamed) {
  const std::string dir = dae::test::scratch_dir();
  const std::string images = dir + "/train-images-idx3-ubyte.gz";
  write_gz(images, "this is not an IDX file at all");
  std::string msg = load_error(dir);
  EXPECT_NE(msg.find(images), std::string::npos) << msg;
  EXPECT_NE(msg.find("magic"), std::string::npos) << msg;

  // A header promising 10 images with only 5 images of data behind it.
  write_gz(images, idx_header(0x803, {10, 28, 28}) + std::string(5 * 784, '\x10'));
  msg = load_error(dir);
  EXPECT_NE(msg.find(images), std::string::npos) << msg;
  EXPECT_NE(msg.find("ends inside the data"), std::string::npos) << msg;

  // Images fine, labels for a different count.
  write_gz(images, idx_header(0x803, {10, 28, 28}) + std::string(10 * 784, '\x10'));
  const std::string labels = dir + "/train-labels-idx1-ubyte.gz";
  write_gz(labels, idx_header(0x801, {9}) + std::string(9, '\x01'));
  msg = load_error(dir);
  EXPECT_NE(msg.find(labels), std::string::npos) << msg;
  EXPECT_NE(msg.find("9 labels for 10 images"), std::string::npos) << msg;
}

}  // namespace
