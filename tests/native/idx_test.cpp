// The IDX reader: the committed bad-IDX corpus (each file gives its own message naming the file), the real dataset,
// and rank handling. Runs natively and under AddressSanitizer.
#include "idx.h"

#include "corpus_list.h"

#include <gtest/gtest.h>

#include <fstream>

namespace dae::idx {
namespace {

const std::string kCorpus = std::string(DAE_SOURCE_DIR) + "/tests/data/bad-idx/";
constexpr int64_t kCorpusLimit = int64_t(16) << 20;

TEST(BadIdxCorpus, EveryFileGivesItsExpectedMessage) {
  int cases = 0, valid = 0;
  for (const testing::CorpusCase& c : testing::corpus_cases(kCorpus)) {
    const std::string &file = c.file, &expected = c.expected;
    Result<IdxFile> idx = read_file(kCorpus + file, 3, kCorpusLimit);
    if (expected == "OK") {
      ASSERT_TRUE(idx.ok()) << file << ": " << idx.error();
      EXPECT_EQ(idx->dims, (std::vector<int64_t>{2, 28, 28})) << file;
      ASSERT_EQ(idx->bytes.size(), 2u * 28 * 28) << file;
      EXPECT_EQ(idx->bytes[100], (100 * 7) & 0xff) << file;  // the ramp the corpus writes
      ++valid;
    } else {
      ASSERT_FALSE(idx.ok()) << file << " was accepted";
      EXPECT_NE(idx.error().find(expected), std::string::npos) << file << ": got '" << idx.error() << "'";
      EXPECT_EQ(idx.error().rfind(kCorpus + file + ": ", 0), 0u) << "the message should start with the file: " << idx.error();
    }
    ++cases;
  }
  EXPECT_GE(cases, 20);
  EXPECT_EQ(valid, 3);
}

TEST(Idx, ReadsTheRealDatasetFiles) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  Result<IdxFile> images = read_file(dir + "t10k-images-idx3-ubyte.gz", 3);
  ASSERT_TRUE(images.ok()) << images.error();
  EXPECT_EQ(images->dims, (std::vector<int64_t>{10000, 28, 28}));
  Result<IdxFile> labels = read_file(dir + "t10k-labels-idx1-ubyte.gz", 1);
  ASSERT_TRUE(labels.ok()) << labels.error();
  EXPECT_EQ(labels->dims, (std::vector<int64_t>{10000}));
  for (uint8_t l : labels->bytes) ASSERT_LE(l, 9);
}

TEST(Idx, AnyRankFromOneToFourWhenNoneIsExpected) {
  const uint8_t labels[] = {0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9};
  Result<IdxFile> idx = parse(labels, sizeof labels, 0);
  ASSERT_TRUE(idx.ok()) << idx.error();
  EXPECT_EQ(idx->dims, (std::vector<int64_t>{3}));
  EXPECT_EQ(idx->bytes, (std::vector<uint8_t>{7, 8, 9}));
  Result<IdxFile> as_images = parse(labels, sizeof labels, 3);
  ASSERT_FALSE(as_images.ok());
  EXPECT_EQ(as_images.error(), "has 1 dimensions, expected 3");
}

TEST(Idx, MissingFileIsNamed) {
  Result<IdxFile> idx = read_file("/nonexistent/images.idx", 3);
  ASSERT_FALSE(idx.ok());
  EXPECT_EQ(idx.error(), "cannot open '/nonexistent/images.idx'");  // the path once
}

TEST(Idx, InflatedDataMustMatchTheHeader) {
  // The corpus bomb inflates to 32 MiB; under the default 1 GiB limit it is read in full and then refused for
  // holding more data than its header declares.
  Result<IdxFile> idx = read_file(kCorpus + "gzip-bomb.idx.gz", 3);
  ASSERT_FALSE(idx.ok());
  EXPECT_NE(idx.error().find("ends inside the data"), std::string::npos) << idx.error();
}

}  // namespace
}  // namespace dae::idx
