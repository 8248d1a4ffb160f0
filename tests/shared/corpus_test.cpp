// Runs the committed bad-model corpus through the loader: each file gives its own specific message.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "corpus_list.h"
#include "dae/engine.h"

namespace dae {
namespace {

const std::string kCorpus = std::string(DAE_SOURCE_DIR) + "/tests/data/bad-models/";

TEST(BadModelCorpus, EveryFileGivesItsExpectedMessage) {
  int cases = 0;
  for (const testing::CorpusCase& c : testing::corpus_cases(kCorpus)) {
    const std::string &file = c.file, &expected = c.expected;
    Result<Model> model = Model::from_file(kCorpus + file);
    if (expected == "OK") {
      EXPECT_TRUE(model.ok()) << file << ": " << model.error();
    } else {
      ASSERT_FALSE(model.ok()) << file << " was accepted";
      EXPECT_NE(model.error().find(expected), std::string::npos) << file << ": got '" << model.error() << "'";
      EXPECT_NE(model.error().find(file), std::string::npos) << "the message should name the file";
    }
    ++cases;
  }
  EXPECT_GE(cases, 25);
}

}  // namespace
}  // namespace dae
