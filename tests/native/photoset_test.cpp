// dae-photoset on a fake unpacked package made here: splits, downscaling, files.tsv, licences, skips and missing files.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "image.h"
#include "test_dirs.h"

namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A w×h image with edges and gradients, so downscaling and decoding have something to do.
dae::image::Image pattern(int w, int h, int channels) {
  dae::image::Image img{w, h, channels, {}};
  img.data.resize(img.plane() * channels);
  for (int c = 0; c < channels; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) img.channel(c)[size_t(y) * w + x] = ((x / 8 + y / 8 + c) % 2) * 0.5f + 0.4f * x / w;
  return img;
}

void save_png(const fs::path& path, const dae::image::Image& img) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(dae::image::save_png(path.string(), img).ok());
}

void save_jpeg(const fs::path& path, int w, int h) {
  fs::create_directories(path.parent_path());
  const dae::image::Image img = pattern(w, h, 3);
  std::vector<uint8_t> rgb(size_t(w) * h * 3);
  for (size_t i = 0; i < img.plane(); ++i)
    for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = uint8_t(img.channel(c)[i] * 255.0f + 0.5f);
  ASSERT_NE(stbi_write_jpg(path.c_str(), w, h, 3, rgb.data(), 90), 0);
}

struct ToolRun {
  int status;
  std::string log;
};

ToolRun run_tool(const fs::path& dir, const std::string& sources, const fs::path& out, const std::string& extra = "") {
  const fs::path sources_path = dir / "sources.tsv", log = dir / "log.txt";
  write(sources_path, sources);
  const std::string cmd = std::string(DAE_PHOTOSET_BIN) + " --sources " + sources_path.string() + " --root " +
                          (dir / "root").string() + " --out " + out.string() + " --max-side 128 --min-side 8 " + extra +
                          " >" + log.string() + " 2>&1";
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read(log)};
}

std::vector<std::vector<std::string>> tsv_rows(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

// The fake package: a control file, a DEP-5 copyright file and images of every kind the builder meets.
fs::path make_package(const fs::path& dir) {
  const fs::path pkg = dir / "root" / "fakepkg";
  write(pkg / "DEBIAN" / "control", "Package: fakepkg\nVersion: 1:2.3-4\nArchitecture: all\n");
  write(pkg / "usr/share/doc/fakepkg/copyright",
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nCopyright: 2020, Someone\nLicense: CC0-1.0\n\n"
        "# a source-tree folder the binary package does not have: must not be guessed at\n"
        "Files: pics/*\nCopyright: 2021, Nobody\nLicense: MIT\n\n"
        "Files: pics/special.png\n       other/thing.png\nCopyright: 2019, Artist A\n           2020, Artist B\n"
        "License: GPL-2+\n\nFiles: debian/*\nCopyright: 2022, Packager\nLicense: GPL-2+\n");
  const fs::path pics = pkg / "usr/share/fake/pics";
  save_png(pics / "a.png", pattern(64, 48, 3));
  save_png(pics / "gray.png", pattern(40, 40, 1));
  save_png(pics / "special.png", pattern(30, 20, 3));
  save_jpeg(pics / "big.jpg", 300, 200);
  save_png(pics / "tiny.png", pattern(1, 1, 3));
  write(pics / "corrupt.png", "\x89PNG\r\n\x1a\n this is not a PNG body");
  return pkg;
}

const std::string kSources =
    "# package\tpath\tkind\tsplit\tname\n"
    "fakepkg\tusr/share/fake/pics/a.png\tphoto\ttest\n"
    "fakepkg\tusr/share/fake/pics/big.jpg\tphoto\ttrain\n"
    "fakepkg\tusr/share/fake/pics/gray.png\tillustration\ttrain\tgrey-one\n"
    "fakepkg\tusr/share/fake/pics/special.png\tphoto\tval\n"
    "fakepkg\tusr/share/fake/pics/corrupt.png\tphoto\ttrain\n"
    "fakepkg\tusr/share/fake/pics/tiny.png\tphoto\ttrain\n";

TEST(Photoset, BuildsSplitsFileListAndLicences) {
  const fs::path dir = dae::test::scratch_dir();
  make_package(dir);
  const fs::path out = dir / "out";
  write(out / "train" / "stale.png", "left over from an older list");
  const ToolRun r = run_tool(dir, kSources, out);
  ASSERT_EQ(r.status, 0) << r.log;

  // Splits, names and sizes: big.jpg 300x200 needs factor 3 to fit 128 px (100x66); the others stay.
  EXPECT_FALSE(fs::exists(out / "train" / "stale.png"));
  dae::Result<dae::image::Image> big = dae::image::load((out / "train" / "fakepkg--big.png").string());
  ASSERT_TRUE(big.ok()) << big.error();
  EXPECT_EQ(big->w, 100);
  EXPECT_EQ(big->h, 66);
  EXPECT_EQ(big->channels, 3);
  dae::Result<dae::image::Image> gray = dae::image::load((out / "train" / "fakepkg--grey-one.png").string());
  ASSERT_TRUE(gray.ok()) << gray.error();
  EXPECT_EQ(gray->channels, 3);  // gray sources are written as RGB
  EXPECT_EQ(gray->w, 40);
  EXPECT_TRUE(fs::exists(out / "test" / "fakepkg--a.png"));
  EXPECT_TRUE(fs::exists(out / "val" / "fakepkg--special.png"));
  EXPECT_FALSE(fs::exists(out / "train" / "fakepkg--corrupt.png"));
  EXPECT_FALSE(fs::exists(out / "train" / "fakepkg--tiny.png"));

  // The undecodable and the 1x1 file are skipped with a message each and counted; nothing is missing.
  EXPECT_NE(r.log.find("skipped: fakepkg:usr/share/fake/pics/corrupt.png"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("skipped: fakepkg:usr/share/fake/pics/tiny.png: 1x1 is smaller than 8 px"), std::string::npos)
      << r.log;
  EXPECT_NE(r.log.find("6 listed, 4 written, 2 skipped, 0 missing"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("train: 2 images"), std::string::npos) << r.log;

  const auto rows = tsv_rows(out / "files.tsv");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0][0], "split");
  ASSERT_EQ(rows[0].size(), 11u);
  // Split order (train, val, test), then by file name.
  EXPECT_EQ(rows[1][2], "train/fakepkg--big.png");
  EXPECT_EQ(rows[2][2], "train/fakepkg--grey-one.png");
  EXPECT_EQ(rows[3][2], "val/fakepkg--special.png");
  EXPECT_EQ(rows[4][2], "test/fakepkg--a.png");
  EXPECT_EQ(rows[1][1], "photo");
  EXPECT_EQ(rows[2][1], "illustration");
  EXPECT_EQ(rows[1][3], "fakepkg");
  EXPECT_EQ(rows[1][4], "1:2.3-4");
  EXPECT_EQ(rows[1][5], "usr/share/fake/pics/big.jpg");
  EXPECT_EQ(rows[1][6], "300x200");
  EXPECT_EQ(rows[1][7], "3");
  EXPECT_EQ(rows[1][8], "100x66");
  // `pics/*` names a source folder and is not applied; the plain name `pics/special.png` is.
  EXPECT_EQ(rows[1][9], "CC0-1.0");
  EXPECT_EQ(rows[1][10], "Files: *");
  EXPECT_EQ(rows[3][9], "GPL-2+");
  EXPECT_EQ(rows[3][10], "Files: pics/special.png");

  const std::string licenses = read(out / "LICENSES.md");
  EXPECT_NE(licenses.find("| fakepkg | 1:2.3-4 | 4 | CC0-1.0; GPL-2+ |"), std::string::npos) << licenses;
  EXPECT_NE(licenses.find("2019, Artist A; 2020, Artist B"), std::string::npos) << licenses;
  EXPECT_EQ(read(out / "copyright" / "fakepkg"), read(dir / "root/fakepkg/usr/share/doc/fakepkg/copyright"));

  // The same packages give byte-identical output, whatever the thread count.
  const fs::path again = dir / "again";
  ASSERT_EQ(run_tool(dir, kSources, again, "--threads 1").status, 0);
  for (const char* f : {"files.tsv", "LICENSES.md", "train/fakepkg--big.png", "test/fakepkg--a.png"})
    EXPECT_EQ(read(out / f), read(again / f)) << f;
}

TEST(Photoset, MissingFileOrPackageFailsAfterWritingTheRest) {
  const fs::path dir = dae::test::scratch_dir();
  make_package(dir);
  const fs::path out = dir / "out";
  const ToolRun r = run_tool(dir,
                             kSources +
                                 "fakepkg\tusr/share/fake/pics/gone.png\tphoto\ttrain\n"
                                 "otherpkg\tusr/share/x.png\tphoto\ttrain\n",
                             out);
  EXPECT_EQ(r.status, 1) << r.log;
  EXPECT_NE(r.log.find("missing: fakepkg:usr/share/fake/pics/gone.png (not in fakepkg 1:2.3-4)"), std::string::npos)
      << r.log;
  EXPECT_NE(r.log.find("missing: otherpkg:usr/share/x.png (package 'otherpkg' is not unpacked)"), std::string::npos)
      << r.log;
  EXPECT_NE(r.log.find("2 missing"), std::string::npos) << r.log;
  EXPECT_TRUE(fs::exists(out / "test" / "fakepkg--a.png"));
}

// Links inside an unpacked package resolve as on a system it is installed on: an absolute target is read from the
// package's root, and neither it nor ".." reaches this machine's files.
TEST(Photoset, LinksInAPackageNeverLeaveIt) {
  const fs::path dir = dae::test::scratch_dir();
  make_package(dir);
  const fs::path pics = dir / "root/fakepkg/usr/share/fake/pics";
  save_png(dir / "host.png", pattern(32, 24, 3));  // a file of "the host", outside the package
  fs::create_symlink(fs::absolute(dir / "host.png"), pics / "to-host.png");
  fs::create_symlink("../../../../../../../../../../../../host.png", pics / "climbing.png");
  fs::create_symlink("/usr/share/fake/pics/a.png", pics / "absolute-inside.png");
  fs::create_symlink("loop.png", pics / "loop.png");
  const fs::path out = dir / "out";
  const ToolRun r = run_tool(dir,
                             "fakepkg\tusr/share/fake/pics/to-host.png\tphoto\ttrain\n"
                             "fakepkg\tusr/share/fake/pics/climbing.png\tphoto\ttrain\n"
                             "fakepkg\tusr/share/fake/pics/absolute-inside.png\tphoto\ttrain\n"
                             "fakepkg\tusr/share/fake/pics/loop.png\tphoto\ttrain\n",
                             out);
  EXPECT_EQ(r.status, 1) << r.log;
  for (const char* name : {"to-host", "climbing", "loop"}) {
    EXPECT_NE(r.log.find(std::string("missing: fakepkg:usr/share/fake/pics/") + name + ".png"), std::string::npos)
        << r.log;
    EXPECT_FALSE(fs::exists(out / "train" / (std::string("fakepkg--") + name + ".png"))) << name;
  }
  EXPECT_TRUE(fs::exists(out / "train" / "fakepkg--absolute-inside.png")) << r.log;
}

TEST(Photoset, BadSourceListsAreRefusedWithTheLine) {
  const fs::path dir = dae::test::scratch_dir();
  make_package(dir);
  const struct {
    std::string line, message;
  } cases[] = {
      {"fakepkg\tusr/share/fake/pics/a.png\tillustration\ttest\n", ":2: illustrations may only go to train"},
      {"fakepkg\tusr/share/fake/pics/a.png\tphoto\tholdout\n", ":2: split must be train, val, test or test-ordinary"},
      {"fakepkg\tusr/share/fake/pics/a.png\tphoto\n", ":2: expected package, path, kind, split"},
      {"fakepkg\t../../etc/passwd\tphoto\ttrain\n", ":2: bad package name or path"},
      {"fakepkg\tusr/share/fake/pics/a.png\tphoto\ttrain\nfakepkg\tusr/a.png\tphoto\tval\n",
       ":3: output name 'fakepkg--a' is used twice"},
  };
  for (const auto& c : cases) {
    const ToolRun r = run_tool(dir, "# header\n" + c.line, dir / "out");
    EXPECT_EQ(r.status, 2) << c.line;
    EXPECT_NE(r.log.find(c.message), std::string::npos) << r.log;
  }
}

}  // namespace
