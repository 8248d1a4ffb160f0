// Runs the committed bad-model corpus through the loader: each file gives its own specific message.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dae/engine.h"

namespace dae {
namespace {

const std::string kCorpus = std::string(DAE_SOURCE_DIR) + "/tests/data/bad-models/";

TEST(BadModelCorpus, EveryFileGivesItsExpectedMessage) {
  std::ifstream list(kCorpus + "expected.tsv");
  ASSERT_TRUE(list) << "cannot read " << kCorpus << "expected.tsv";
  std::string line;
  int cases = 0;
  while (std::getline(list, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string file = line.substr(0, tab), expected = line.substr(tab + 1);
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
