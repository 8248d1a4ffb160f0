// The committed corpora of bad files (tests/data/bad-models, tests/data/bad-idx) each list their files in
// expected.tsv: "file<TAB>expected substring of the error", or "OK" for a file that must load. One reader for the
// engine, IDX and CLI tests.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dae::testing {

struct CorpusCase {
  std::string file;      // name inside the corpus folder
  std::string expected;  // "OK", or a substring the error message must contain
};

// Every case of `dir`/expected.tsv (`dir` ends with '/'); throws when the list cannot be read or a line is malformed.
inline std::vector<CorpusCase> corpus_cases(const std::string& dir) {
  std::ifstream list(dir + "expected.tsv");
  if (!list) throw std::runtime_error("cannot read " + dir + "expected.tsv");
  std::vector<CorpusCase> cases;
  std::string line;
  while (std::getline(list, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) throw std::runtime_error(dir + "expected.tsv: no tab in '" + line + "'");
    cases.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return cases;
}

}  // namespace dae::testing
