// dae-train's report commands as processes: evaluate-photos on a few generated photos (the rows, sane scores, the
// peer protocol and its checks), and evaluate's manifest rule.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "image.h"
#include "test_dirs.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const float kSigmas[] = {0.05f, 0.1f, 0.2f, 0.3f};

std::string key(float s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// Smooth shading with a few edges, kept inside [0.15, 0.85] so clipping hardly changes the noise.
dae::image::Image photo(int w, int h, int variant) {
  dae::image::Image img{w, h, 3, {}};
  img.data.resize(img.plane() * 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const float shade = 0.5f + 0.2f * std::sin(0.09f * (x + variant * 7) + 0.05f * c * y);
        const float edge = ((x + 2 * y + 11 * variant) / 24) % 2 ? 0.12f : -0.12f;
        img.channel(c)[size_t(y) * w + x] = shade + edge;
      }
  return img;
}

struct ToolRun {
  int status;
  std::string log;
};

// `dae-train --threads 2 ARGS`, its output kept in dir/log.txt.
ToolRun dae_train(const std::string& args, const fs::path& dir) {
  const fs::path log = dir / "log.txt";
  const std::string cmd = std::string(DAE_TRAIN_BIN) + " --threads 2 " + args + " >" + log.string() + " 2>&1";
  const int raw = std::system(cmd.c_str());
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, ss.str()};
}

ToolRun evaluate(const std::string& args, const fs::path& dir) {
  return dae_train("evaluate-photos " + args, dir);
}

json read_json(const fs::path& path) {
  std::ifstream f(path);
  return json::parse(f, nullptr, false);
}

const json* find_row(const json& rows, const std::string& name) {
  for (const json& r : rows)
    if (r["name"] == name) return &r;
  return nullptr;
}

// Three photos (the third ignored by --limit 2), a model folder with the default model only.
fs::path setup(const fs::path& dir, int w, int h) {
  for (int i = 0; i < 3; ++i) {
    fs::create_directories(dir / "photos");
    EXPECT_TRUE(
        dae::image::save_png((dir / "photos" / ("p" + std::to_string(i) + ".png")).string(), photo(w, h, i)).ok());
  }
  fs::create_directories(dir / "models");
  fs::copy_file(fs::path(DAE_MODELS_DIR) / "unet32.safetensors", dir / "models/unet32.safetensors");
  return dir;
}

TEST(PhotoEval, RowsAndSaneScores) {
  const fs::path dir = setup(dae::test::scratch_dir(), 96, 80);
  const ToolRun r = evaluate("--photos " + (dir / "photos").string() + " --models " + (dir / "models").string() +
                                 " --out " + (dir / "report").string() + " --crop 64 --limit 2",
                             dir);
  ASSERT_EQ(r.status, 0) << r.log;
  const json report = read_json(dir / "report/photos.json");
  ASSERT_TRUE(report.is_object());
  ASSERT_EQ(report["photos"].size(), 2u);
  EXPECT_EQ(report["photos"][0]["evaluated"], json::array({64, 64}));
  for (const char* mode : {"gray", "color"}) {
    SCOPED_TRACE(mode);
    const json& rows = report["modes"][mode];
    const json *noisy = find_row(rows, "noisy input"), *blur = find_row(rows, "gaussian blur"),
               *median = find_row(rows, "median filter"), *model = find_row(rows, "unet32");
    ASSERT_TRUE(noisy && blur && median && model) << rows.dump();
    EXPECT_EQ((*model)["run"], std::string(mode) == "color" ? "per channel" : "as is");
    for (float s : kSigmas) {
      const double theory = -20.0 * std::log10(s);  // PSNR of unclipped noise of std s
      const double p = (*noisy)["by_sigma"][key(s)]["psnr"];
      // Clipping can only lower the error; with values in [0.15, 0.85] it barely does at the low levels.
      EXPECT_GT(p, theory - 0.3) << s;
      if (s <= 0.1f) EXPECT_LT(p, theory + 0.3) << s;
      for (const json* row : {noisy, blur, median, model}) {
        const double ssim = (*row)["by_sigma"][key(s)]["ssim"];
        EXPECT_GT(ssim, 0.0);
        EXPECT_LE(ssim, 1.0);
      }
    }
    EXPECT_GT((*blur)["by_sigma"]["0.2"]["psnr"].get<double>(),
              (*noisy)["by_sigma"]["0.2"]["psnr"].get<double>() + 1.0);
    EXPECT_TRUE((*blur)["by_sigma"]["0.2"]["params"].contains("sigma"));
    EXPECT_TRUE((*median)["by_sigma"]["0.2"]["params"].contains("radius"));
  }
  std::ifstream md(dir / "report/PHOTOS.md");
  std::stringstream text;
  text << md.rdbuf();
  EXPECT_NE(text.str().find("## Color (RGB)"), std::string::npos);
  EXPECT_NE(text.str().find("| unet32 (per channel) |"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("center 64x64 crop"), std::string::npos);
  dae::Result<dae::image::Image> strip = dae::image::load((dir / "report/photos-samples.png").string());
  ASSERT_TRUE(strip.ok()) << strip.error();
  EXPECT_EQ(strip->channels, 3);

  // No model at all: the classical rows only.
  fs::create_directories(dir / "empty");
  ASSERT_EQ(evaluate("--photos " + (dir / "photos").string() + " --models " + (dir / "empty").string() + " --out " +
                         (dir / "report2").string() + " --limit 1 --sigmas 0.2",
                     dir)
                .status,
            0);
  const json bare = read_json(dir / "report2/photos.json");
  EXPECT_EQ(bare["modes"]["color"].size(), 3u) << bare["modes"]["color"].dump();
  const ToolRun missing = evaluate("--photos " + (dir / "photos").string() + " --models " + (dir / "models").string() +
                                       " --model-names unet32,nothere --out " + (dir / "report3").string(),
                                   dir);
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.log.find("--model-names: no nothere.safetensors"), std::string::npos) << missing.log;
}

TEST(PhotoEval, PeerOutputsAreScoredAndChecked) {
  const fs::path dir = setup(dae::test::scratch_dir(), 40, 32);
  const std::string common = "--photos " + (dir / "photos").string() + " --models " + (dir / "models").string() +
                             " --crop 0 --limit 2 --sigmas 0.1,0.2";
  ASSERT_EQ(evaluate(common + " --write-noisy " + (dir / "noisy").string(), dir).status, 0);
  EXPECT_FALSE(fs::exists(dir / "report"));
  const json noisy_index = read_json(dir / "noisy/index.json");
  ASSERT_EQ(noisy_index["inputs"].size(), 2u * 2u * 2u);  // modes x sigmas x photos

  // A fake peer: for h 1 it returns the noisy input, for h 2 the clean photo (gray: its luma), which must win.
  json outputs = json::array();
  fs::create_directories(dir / "peer");
  for (const json& in : noisy_index["inputs"]) {
    const std::string name = in["image"];
    // The clean photo as evaluate-photos loads it: 8-bit RGB from the PNG, then luma for gray.
    dae::image::Image clean = photo(40, 32, name == "p0" ? 0 : 1);
    for (float& x : clean.data) x = std::round(std::clamp(x, 0.0f, 1.0f) * 255.0f) / 255.0f;
    if (in["mode"] == "gray") clean = dae::image::to_channels(clean, 1);
    for (int h : {1, 2}) {
      const std::string rel = in["mode"].get<std::string>() + "-" + in["sigma"].get<std::string>() + "-" + name + "-h" +
                              std::to_string(h) + ".f32";
      if (h == 1) {
        fs::copy_file(dir / "noisy" / in["file"].get<std::string>(), dir / "peer" / rel);
      } else {
        std::ofstream(dir / "peer" / rel, std::ios::binary)
            .write(reinterpret_cast<const char*>(clean.data.data()),
                   std::streamsize(clean.data.size() * sizeof(float)));
      }
      outputs.push_back({{"mode", in["mode"]},
                         {"sigma", in["sigma"]},
                         {"image", name},
                         {"params", {{"h", h}}},
                         {"file", rel},
                         {"fingerprint", in["fingerprint"]}});
    }
  }
  std::ofstream(dir / "peer/index.json") << json{{"name", "fake peer"}, {"outputs", outputs}}.dump();

  const ToolRun r =
      evaluate(common + " --peers " + (dir / "peer").string() + " --out " + (dir / "report").string(), dir);
  ASSERT_EQ(r.status, 0) << r.log;
  const json report = read_json(dir / "report/photos.json");
  for (const char* mode : {"gray", "color"}) {
    const json* peer = find_row(report["modes"][mode], "fake peer");
    ASSERT_NE(peer, nullptr) << mode;
    EXPECT_EQ((*peer)["kind"], "peer");
    for (const char* s : {"0.1", "0.2"}) {
      EXPECT_EQ((*peer)["by_sigma"][s]["params"]["h"], 2) << mode << s;
      EXPECT_GT((*peer)["by_sigma"][s]["psnr"].get<double>(), 60.0) << mode << s;
    }
  }

  // Outputs made from other noise are refused, naming the fix.
  const ToolRun other =
      evaluate(common + " --seed 7 --peers " + (dir / "peer").string() + " --out " + (dir / "report3").string(), dir);
  EXPECT_EQ(other.status, 1);
  EXPECT_NE(other.log.find("denoised a different noisy"), std::string::npos) << other.log;

  // An output holding NaN is refused, naming its file, instead of scoring (NaN's PSNR used to be the 100 dB cap).
  const fs::path poisoned = dir / "peer/gray-0.1-p0-h2.f32";
  {
    std::fstream f(poisoned, std::ios::in | std::ios::out | std::ios::binary);
    const float nan = std::nanf("");
    f.seekp(5 * sizeof(float));
    f.write(reinterpret_cast<const char*>(&nan), sizeof nan);
  }
  const ToolRun bad =
      evaluate(common + " --peers " + (dir / "peer").string() + " --out " + (dir / "report4").string(), dir);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.log.find("gray-0.1-p0-h2.f32' holds a NaN or infinite value"), std::string::npos) << bad.log;

  // Output files outside the peer's folder (absolute, or climbing out with ..) are refused before anything is read.
  for (const std::string& outside :
       {(dir / "noisy/gray-0.1-p0.f32").string(), std::string("../noisy/gray-0.1-p0.f32")}) {
    json index = read_json(dir / "peer/index.json");
    index["outputs"][0]["file"] = outside;
    std::ofstream(dir / "peer/index.json") << index.dump();
    const ToolRun escaped =
        evaluate(common + " --peers " + (dir / "peer").string() + " --out " + (dir / "report5").string(), dir);
    EXPECT_EQ(escaped.status, 1) << outside;
    EXPECT_NE(escaped.log.find("is not a relative path inside"), std::string::npos) << escaped.log;
  }
}

// Salt-and-pepper photos: the noisy inputs are impulses (so the median filter beats the blur by far), the report
// names the kind and its level p, and Gaussian reports keep their noise (the same noisy inputs as before).
TEST(PhotoEval, SaltAndPepperReportsNameTheirNoiseAndMedianWins) {
  const fs::path dir = setup(dae::test::scratch_dir(), 48, 40);
  const std::string common = "--photos " + (dir / "photos").string() + " --models " + (dir / "models").string() +
                             " --crop 0 --limit 1 --sigmas 0.1 --model-names unet32";
  const ToolRun r = evaluate(common + " --noise salt-pepper --out " + (dir / "sp").string(), dir);
  ASSERT_EQ(r.status, 0) << r.log;
  const json report = read_json(dir / "sp/photos.json");
  EXPECT_EQ(report["noise_kind"], "salt-pepper");
  EXPECT_EQ(report["level"], "p");
  for (const char* mode : {"gray", "color"}) {
    const json& rows = report["modes"][mode];
    const json *noisy = find_row(rows, "noisy input"), *blur = find_row(rows, "gaussian blur"),
               *median = find_row(rows, "median filter");
    ASSERT_TRUE(noisy && blur && median) << rows.dump();
    // A tenth of the values at 0 or 1, from values in [0.15, 0.85]: a mean squared error between 0.1 * 0.15^2...
    // and 0.1 * 0.85^2 (about 11 to 26 dB); Gaussian noise of σ 0.1 would be 20 dB.
    const double p = (*noisy)["by_sigma"]["0.1"]["psnr"];
    EXPECT_GT(p, 11.0) << mode;
    EXPECT_LT(p, 26.0) << mode;
    EXPECT_GT((*median)["by_sigma"]["0.1"]["psnr"].get<double>(),
              (*blur)["by_sigma"]["0.1"]["psnr"].get<double>() + 3.0)
        << mode;
  }
  std::ifstream md(dir / "sp/PHOTOS.md");
  std::stringstream text;
  text << md.rdbuf();
  EXPECT_NE(text.str().find("Noise: salt-pepper, each value set to 0 or 1"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("| PSNR dB / SSIM | p 0.1 |"), std::string::npos) << text.str();

  // The Gaussian inputs do not depend on the new option: the same fingerprints with and without it.
  ASSERT_EQ(evaluate(common + " --write-noisy " + (dir / "g1").string(), dir).status, 0);
  ASSERT_EQ(evaluate(common + " --noise gaussian --write-noisy " + (dir / "g2").string(), dir).status, 0);
  ASSERT_EQ(evaluate(common + " --noise salt-pepper --write-noisy " + (dir / "s1").string(), dir).status, 0);
  const json g1 = read_json(dir / "g1/index.json"), g2 = read_json(dir / "g2/index.json"),
             s1 = read_json(dir / "s1/index.json");
  EXPECT_EQ(g1["inputs"], g2["inputs"]);
  EXPECT_NE(g1["inputs"][0]["fingerprint"], s1["inputs"][0]["fingerprint"]);
  EXPECT_NE(s1["noise"].get<std::string>().find("salt-pepper"), std::string::npos);

  const ToolRun bad = evaluate(common + " --noise blur --out " + (dir / "bad").string(), dir);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.log.find("--noise: unknown noise 'blur'"), std::string::npos) << bad.log;
}

// evaluate rewrites a folder's models.json (what the page reads) only from that folder's own report; a report
// written elsewhere, a trial on a few images say, leaves the manifest alone and says how to write it.
TEST(Evaluate, WritesTheManifestOnlyFromTheModelsFoldersOwnReport) {
  const fs::path dir = dae::test::scratch_dir();
  fs::create_directories(dir / "models");
  fs::copy_file(fs::path(DAE_MODELS_DIR) / "unet32.safetensors", dir / "models/unet32.safetensors");
  const auto run = [&](const fs::path& out) {
    return dae_train("evaluate --limit 20 --models " + (dir / "models").string() + " --out " + out.string(), dir);
  };
  const ToolRun trial = run(dir / "trial");
  ASSERT_EQ(trial.status, 0) << trial.log;
  EXPECT_TRUE(fs::exists(dir / "trial/report.json"));
  EXPECT_FALSE(fs::exists(dir / "models/models.json"));
  EXPECT_NE(trial.log.find("models.json left as it was"), std::string::npos) << trial.log;

  const ToolRun own = run(dir / "models/report");
  ASSERT_EQ(own.status, 0) << own.log;
  const json manifest = read_json(dir / "models/models.json");
  ASSERT_TRUE(manifest.is_object()) << own.log;
  EXPECT_EQ(manifest["default"], "unet32");
  ASSERT_EQ(manifest["models"].size(), 1u);
  EXPECT_TRUE(manifest["models"][0]["quality"].contains("0.2")) << manifest.dump();
}

}  // namespace
