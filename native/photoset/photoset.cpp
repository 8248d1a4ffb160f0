// dae-photoset: turns the files listed in sources.tsv, taken from unpacked Debian packages, into the photo set
// (RGB PNGs split into train/val/test, downscaled by whole factors) with a file list and a licence summary.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "image.h"

namespace {

namespace fs = std::filesystem;

// test-ordinary: a second test set of ordinary camera JPEGs, from packages nothing is trained on.
const char* const kSplits[] = {"train", "val", "test", "test-ordinary"};

struct Source {
  int line = 0;
  std::string package, path, kind, split, name;
};

// One stanza of a machine-readable debian/copyright file.
struct Stanza {
  std::vector<std::string> patterns;
  std::string license, copyright;
};

struct Package {
  std::string version;
  bool present = false;
  std::string copyright_path;  // empty when the package has none
  std::vector<Stanza> stanzas;
};

struct Output {
  std::string message;  // what happened to this source, printed in list order
  bool missing = false, skipped = false;
  int src_w = 0, src_h = 0, w = 0, h = 0, factor = 1;
  std::string license, license_files;
  int stanza = -1;  // index of the debian/copyright stanza that covers the file
};

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, '\t');) out.push_back(trim(f));
  return out;
}

bool safe_name(const std::string& s) {
  return !s.empty() && s[0] != '.' && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// Parses sources.tsv; every problem names its line. Throws on the first one.
std::vector<Source> read_sources(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open '" + path + "'");
  std::vector<Source> out;
  std::set<std::string> outputs;
  int n = 0;
  for (std::string line; std::getline(f, line);) {
    ++n;
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const std::vector<std::string> c = split_tabs(line);
    const std::string where = path + ":" + std::to_string(n) + ": ";
    if (c.size() < 4 || c.size() > 5)
      throw std::runtime_error(where + "expected package, path, kind, split and an optional name, tab-separated");
    Source s{n, c[0], c[1], c[2], c[3], c.size() == 5 ? c[4] : fs::path(c[1]).stem().string()};
    if (!safe_name(s.package) || s.path.empty() || s.path[0] == '/' || s.path.find("..") != std::string::npos)
      throw std::runtime_error(where + "bad package name or path (paths are relative, inside the package)");
    if (s.kind != "photo" && s.kind != "illustration")
      throw std::runtime_error(where + "kind must be photo or illustration, not '" + s.kind + "'");
    if (std::find(std::begin(kSplits), std::end(kSplits), s.split) == std::end(kSplits))
      throw std::runtime_error(where + "split must be train, val, test or test-ordinary, not '" + s.split + "'");
    if (s.kind != "photo" && s.split != "train") throw std::runtime_error(where + "illustrations may only go to train");
    if (!safe_name(s.name)) throw std::runtime_error(where + "output name '" + s.name + "' needs [A-Za-z0-9._-]");
    const std::string out_name = s.package + "--" + s.name;
    if (!outputs.insert(out_name).second)
      throw std::runtime_error(where + "output name '" + out_name + "' is used twice; give this line a name");
    out.push_back(s);
  }
  if (out.empty()) throw std::runtime_error("'" + path + "' lists no files");
  return out;
}

// DEP-5 wildcards: `*` matches any run of characters (slashes included), `?` one character.
bool glob_match(const char* p, const char* s) {
  for (; *p; ++p, ++s) {
    if (*p == '*') {
      for (const char* t = s;; ++t) {
        if (glob_match(p + 1, t)) return true;
        if (!*t) return false;
      }
    }
    if (!*s || (*p != '?' && *p != *s)) return false;
  }
  return !*s;
}

// Stanza patterns name paths in the source tree, which a binary package installs elsewhere. A pattern counts when
// it is `*`, matches the installed path, or is a plain name matching its end at a folder boundary. Other wildcard
// patterns (like `data/*`) name source folders the package has moved, so they are not guessed at.
bool stanza_applies(const std::string& pattern, const std::string& installed) {
  if (pattern == "*" || glob_match(pattern.c_str(), installed.c_str())) return true;
  if (pattern.find_first_of("*?") != std::string::npos || pattern.size() > installed.size()) return false;
  const size_t at = installed.size() - pattern.size();
  return installed.compare(at, std::string::npos, pattern) == 0 && (at == 0 || installed[at - 1] == '/');
}

std::vector<Stanza> read_copyright(const std::string& path) {
  std::ifstream f(path);
  std::vector<Stanza> out;
  std::map<std::string, std::string> fields;  // first line of each field, continuation lines joined with '\n'
  std::string last;
  auto flush = [&] {
    if (fields.count("Files")) {
      Stanza s;
      std::stringstream ss(fields["Files"]);
      for (std::string p; ss >> p;) s.patterns.push_back(p);
      // "License: NAME" or an empty first line followed by the text: take the first line that says something.
      std::stringstream lic(fields["License"]);
      for (std::string l; std::getline(lic, l);)
        if (!trim(l).empty()) {
          s.license = trim(l);
          break;
        }
      s.copyright = fields["Copyright"];
      out.push_back(s);
    }
    fields.clear();
    last.clear();
  };
  for (std::string line; std::getline(f, line);) {
    if (trim(line).empty()) {
      flush();
    } else if (line[0] == '#') {
      continue;
    } else if (line[0] == ' ' || line[0] == '\t') {
      if (!last.empty()) fields[last] += "\n" + trim(line);
    } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
      last = line.substr(0, colon);
      fields[last] = trim(line.substr(colon + 1));
    }
  }
  flush();
  return out;
}

std::string control_version(const std::string& control) {
  std::ifstream f(control);
  for (std::string line; std::getline(f, line);)
    if (line.rfind("Version:", 0) == 0) return trim(line.substr(8));
  return "";
}

// `rel` inside the unpacked package `pkg`, with symbolic links resolved as on a system the package is installed on:
// an absolute target starts again at the package's root and ".." stops there, so no link in a package reaches the
// files of this machine. Empty when the links loop.
fs::path inside_package(const fs::path& pkg, const fs::path& rel) {
  constexpr int kMaxLinks = 40;  // as Linux's path lookup
  std::vector<fs::path> todo(rel.begin(), rel.end()), parts;
  std::reverse(todo.begin(), todo.end());
  int links = 0;
  while (!todo.empty()) {
    const fs::path part = todo.back();
    todo.pop_back();
    if (part.empty() || part == "." || part == part.root_directory()) continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    fs::path here = pkg;
    for (const fs::path& p : parts) here /= p;
    here /= part;
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(here, ec))) {
      parts.push_back(part);
      continue;
    }
    const fs::path target = fs::read_symlink(here, ec);
    if (ec || ++links > kMaxLinks) return {};
    if (target.is_absolute()) parts.clear();
    for (auto it = std::make_reverse_iterator(target.end()); it != std::make_reverse_iterator(target.begin()); ++it)
      todo.push_back(*it);
  }
  fs::path out = pkg;
  for (const fs::path& p : parts) out /= p;
  return out;
}

Package read_package(const fs::path& root, const std::string& name) {
  Package p;
  const fs::path dir = root / name;
  p.present = fs::is_directory(dir);
  if (!p.present) return p;
  p.version = control_version((dir / "DEBIAN" / "control").string());
  if (p.version.empty()) p.version = "unknown";
  const fs::path copyright = inside_package(dir, fs::path("usr") / "share" / "doc" / name / "copyright");
  if (!copyright.empty() && fs::is_regular_file(copyright)) {
    p.copyright_path = copyright.string();
    p.stanzas = read_copyright(p.copyright_path);
  }
  return p;
}

std::string dims(int w, int h) {
  return std::to_string(w) + "x" + std::to_string(h);
}

Output process(const Source& s, const Package& pkg, const fs::path& root, const fs::path& out_dir, int max_side,
               int min_side) {
  Output o;
  const std::string label = s.package + ":" + s.path;
  if (!pkg.present) {
    o.missing = true, o.message = "missing: " + label + " (package '" + s.package + "' is not unpacked)";
    return o;
  }
  const fs::path file = inside_package(root / s.package, s.path);
  if (file.empty() || !fs::is_regular_file(file)) {
    o.missing = true, o.message = "missing: " + label + " (not in " + s.package + " " + pkg.version + ")";
    return o;
  }
  dae::Result<dae::image::Image> img = dae::image::load(file.string(), 3);
  if (!img.ok()) {
    o.skipped = true, o.message = "skipped: " + label + ": " + img.error();
    return o;
  }
  o.src_w = img->w, o.src_h = img->h;
  if (std::min(img->w, img->h) < min_side) {
    o.skipped = true, o.message = "skipped: " + label + ": " + dims(img->w, img->h) + " is smaller than " +
                                  std::to_string(min_side) + " px a side";
    return o;
  }
  // The smallest whole factor that brings the long side within max_side: averaging whole blocks also averages
  // away JPEG blocks and the wallpapers' soft upscaling.
  const int long_side = std::max(img->w, img->h);
  o.factor = (long_side + max_side - 1) / max_side;
  const dae::image::Image small = dae::image::downscale_area(*img, o.factor);
  o.w = small.w, o.h = small.h;
  const fs::path target = out_dir / s.split / (s.package + "--" + s.name + ".png");
  if (dae::Status st = dae::image::save_png(target.string(), small); !st.ok()) {
    o.skipped = true, o.message = "skipped: " + label + ": " + st.message();
    return o;
  }
  // As in DEP-5, the last stanza that matches wins.
  for (size_t k = 0; k < pkg.stanzas.size(); ++k)
    for (const std::string& p : pkg.stanzas[k].patterns)
      if (stanza_applies(p, s.path)) o.license = pkg.stanzas[k].license, o.license_files = p, o.stanza = int(k);
  if (pkg.copyright_path.empty()) o.license = "unknown (no usr/share/doc/" + s.package + "/copyright)";
  o.message = "ok: " + label + " " + dims(o.src_w, o.src_h) + " -> " + s.split + "/" + target.filename().string() +
              " " + dims(o.w, o.h);
  return o;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f.flush()) throw std::runtime_error("cannot write '" + path.string() + "'");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Builds the photo set from unpacked Debian packages (see native/photoset/build-photoset.sh)"};
  std::string sources_path, root_dir, out_dir;
  int max_side = 1280, min_side = 32, threads = 2;
  app.add_option("--sources", sources_path, "sources.tsv: package, path, kind, split[, name] per line")->required();
  app.add_option("--root", root_dir, "folder holding one unpacked package per sub-folder (dpkg-deb -x and -e)")
      ->required();
  app.add_option("--out", out_dir, "output folder: train/, val/, test/, files.tsv, LICENSES.md, copyright/")
      ->required();
  app.add_option("--max-side", max_side, "downscale by the smallest whole factor that makes the long side fit")
      ->check(CLI::Range(16, 1 << 14));
  app.add_option("--min-side", min_side, "skip images with a shorter side than this")->check(CLI::Range(1, 1 << 14));
  app.add_option("--threads", threads, "images decoded at once")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);

  try {
    const std::vector<Source> sources = read_sources(sources_path);
    std::map<std::string, Package> packages;
    for (const Source& s : sources)
      if (!packages.count(s.package)) packages[s.package] = read_package(root_dir, s.package);

    // Only what this tool writes is replaced, so a stale file from an older list cannot linger in a split.
    const fs::path out(out_dir);
    for (const char* sub : {"train", "val", "test", "test-ordinary", "copyright"}) fs::remove_all(out / sub);
    for (const char* sub : {"train", "val", "test", "test-ordinary", "copyright"}) fs::create_directories(out / sub);

    std::vector<Output> results(sources.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next++) < sources.size();)
        results[i] = process(sources[i], packages[sources[i].package], root_dir, out, max_side, min_side);
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();

    // files.tsv in split order, then by output name: the same list for the same packages, whatever the thread count.
    std::vector<size_t> order;
    for (size_t i = 0; i < sources.size(); ++i)
      if (!results[i].missing && !results[i].skipped) order.push_back(i);
    auto split_rank = [](const std::string& s) {
      return std::find(std::begin(kSplits), std::end(kSplits), s) - kSplits;
    };
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const Source &x = sources[a], &y = sources[b];
      return std::make_tuple(split_rank(x.split), x.package + "--" + x.name) <
             std::make_tuple(split_rank(y.split), y.package + "--" + y.name);
    });
    std::string tsv =
        "split\tkind\tfile\tpackage\tversion\tsource\tsource_size\tfactor\tsize\tlicense\tlicense_stanza\n";
    std::map<std::string, int> split_files;
    std::map<std::string, double> split_mpx;
    std::map<std::string, std::vector<size_t>> by_package;
    for (size_t i : order) {
      const Source& s = sources[i];
      const Output& o = results[i];
      const std::string file = s.split + "/" + s.package + "--" + s.name + ".png";
      tsv += s.split + "\t" + s.kind + "\t" + file + "\t" + s.package + "\t" + packages[s.package].version + "\t" +
             s.path + "\t" + dims(o.src_w, o.src_h) + "\t" + std::to_string(o.factor) + "\t" + dims(o.w, o.h) + "\t" +
             o.license + "\t" + (o.license_files.empty() ? "-" : "Files: " + o.license_files) + "\n";
      ++split_files[s.split];
      split_mpx[s.split] += double(o.w) * o.h / 1e6;
      by_package[s.package].push_back(i);
    }
    write_text(out / "files.tsv", tsv);

    std::string md =
        "# Licences of the photo set\n\nEvery image here comes from a Debian package, unchanged except for RGB "
        "conversion and whole-factor area downscaling. `files.tsv` lists each file's package, version, path in the "
        "package and the licence of the debian/copyright stanza that covers it; `copyright/<package>` is the "
        "package's full copyright file. A stanza counts when its `Files:` pattern is `*` or names the file itself; "
        "patterns naming source-tree folders are not guessed at, so those files fall under `Files: *`.\n\n"
        "| package | version | files | licence |\n|---|---|---|---|\n";
    for (const auto& [name, idx] : by_package) {
      const Package& p = packages[name];
      std::set<std::string> licenses;
      for (size_t i : idx) licenses.insert(results[i].license);
      std::string lic;
      for (const std::string& l : licenses) lic += (lic.empty() ? "" : "; ") + l;
      md += "| " + name + " | " + p.version + " | " + std::to_string(idx.size()) + " | " + lic + " |\n";
      if (!p.copyright_path.empty()) fs::copy_file(p.copyright_path, out / "copyright" / name);
    }
    md += "\n## Copyright holders\n";
    for (const auto& [name, idx] : by_package) {
      md += "\n### " + name + "\n\n";
      // Files grouped by the stanza that covers them: its pattern and copyright holders, then the files.
      std::map<int, std::pair<std::string, std::string>> by_stanza;
      for (size_t i : idx) {
        auto& [pattern, files] = by_stanza[results[i].stanza];
        pattern = results[i].license_files;
        files += (files.empty() ? "" : ", ") + sources[i].name;
      }
      for (const auto& [k, entry] : by_stanza) {
        std::string holders;
        std::stringstream lines(k >= 0 ? packages[name].stanzas[k].copyright : "");
        for (std::string l; std::getline(lines, l);) holders += (holders.empty() ? "" : "; ") + l;
        md += "- `Files: " + (entry.first.empty() ? std::string("?") : entry.first) +
              "`: " + (holders.empty() ? std::string("(no copyright line)") : holders) + ". Used: " + entry.second +
              "\n";
      }
    }
    write_text(out / "LICENSES.md", md);

    int missing = 0, skipped = 0;
    for (const Output& o : results) {
      std::fprintf(o.missing || o.skipped ? stderr : stdout, "%s\n", o.message.c_str());
      missing += o.missing, skipped += o.skipped;
    }
    for (const char* s : kSplits) std::printf("%s: %d images, %.2f Mpx\n", s, split_files[s], split_mpx[s]);
    std::printf("%zu listed, %zu written, %d skipped, %d missing -> %s\n", sources.size(), order.size(), skipped,
                missing, out_dir.c_str());
    if (missing > 0) {
      std::fprintf(stderr, "error: %d listed file(s) missing from their packages: update sources.tsv\n", missing);
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
