// Training on an image folder: the split by file, skipped bad files, patch sampling, a tiny real color training
// run whose model loads in the engine, and an exact resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dae/engine.h"
#include "export_safetensors.h"
#include "test_dirs.h"
#include "train.h"

namespace {

using namespace dae::trainer;
namespace fs = std::filesystem;

// A smooth color image with a few edges: something a denoiser can learn from in seconds.
dae::image::Image synthetic(int w, int h, int seed) {
  dae::image::Image img;
  img.w = w, img.h = h, img.channels = 3;
  img.data.resize(img.plane() * 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const float wave = 0.5f + 0.35f * std::sin(0.11f * (x + 3 * seed) * (c + 1) + 0.07f * y * (seed % 3 + 1));
        const bool box = (x / 12 + y / 12 + seed + c) % 3 == 0;
        img.channel(c)[y * w + x] = box ? 0.9f * wave : wave;
      }
  return img;
}

// Twelve good images plus one file of each bad kind.
std::string make_folder(const std::string& dir) {
  const std::string root = dir + "/photos";
  fs::create_directories(root + "/sub");
  for (int i = 0; i < 12; ++i)
    EXPECT_TRUE(dae::image::save_png(root + (i % 2 ? "/sub/" : "/") + "img" + std::to_string(i) + ".png",
                                     synthetic(40 + 4 * i, 36 + 2 * i, i))
                    .ok());
  std::ofstream(root + "/corrupt.png") << "\x89PNG but not really";
  std::ofstream(root + "/empty.jpg").close();
  dae::image::Image one;
  one.w = one.h = 1, one.channels = 3, one.data = {0.1f, 0.2f, 0.3f};
  EXPECT_TRUE(dae::image::save_png(root + "/tiny.png", one).ok());
  // A PNG whose header claims 40000x40000: refused from the header, nothing decoded.
  EXPECT_TRUE(dae::image::save_png(root + "/huge.png", one).ok());
  std::fstream f(root + "/huge.png", std::ios::in | std::ios::out | std::ios::binary);
  const unsigned char dims[8] = {0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40};
  f.seekp(16);
  f.write(reinterpret_cast<const char*>(dims), 8);
  f.close();
  std::ofstream(root + "/notes.txt") << "not an image, not listed";
  return root;
}

TrainOptions tiny_photo_options(const std::string& images, const std::string& out) {
  TrainOptions o;
  o.model = "photo";
  o.images_dir = images;
  o.out_dir = out;
  o.epochs = 2;
  o.batch = 8;
  o.patch = 16;
  o.patches = 96;
  o.val_count = 32;
  o.lr = 2e-3;
  o.sigma_lo = 0.05f, o.sigma_hi = 0.3f;
  o.quiet = true;
  o.export_onnx = false;
  o.seed = 5;
  return o;
}

TEST(ImageFolder, AFolderOverTheMemoryBudgetIsRefusedNamingTheTotalAndTheFlag) {
  const std::string dir = dae::test::scratch_dir();
  const std::string root = dir + "/big";
  fs::create_directories(root);
  // Three 512x512 RGB images: 3 MB each once decoded as floats, 9 MB in all; a 4 MB budget stops at the second.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(dae::image::save_png(root + "/img" + std::to_string(i) + ".png", synthetic(512, 512, i)).ok());
  ImageFolderOptions options{root, 3, 16};
  options.max_bytes = uint64_t(4) << 20;
  try {
    load_image_folder(options);
    ADD_FAILURE() << "a folder over the budget was loaded";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("needs more than 6 MB decoded"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--images-max-mb budget of 4 MB"), std::string::npos) << msg;
  }
  options.max_bytes = uint64_t(10) << 20;
  EXPECT_EQ(load_image_folder(options).files.size(), 3u);
}

TEST(ImageFolder, SplitsByFileAndSkipsBadFilesWithReasons) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 3, 16});
  EXPECT_EQ(folder.files.size(), 12u);
  EXPECT_EQ(folder.split("test").size(), 1u);
  EXPECT_EQ(folder.split("val").size(), 1u);
  EXPECT_EQ(folder.split("train").size(), 10u);
  ASSERT_EQ(folder.skipped.size(), 4u);
  std::string all;
  for (const std::string& s : folder.skipped) all += s + "\n";
  EXPECT_NE(all.find("corrupt.png: "), std::string::npos) << all;
  EXPECT_NE(all.find("empty.jpg: "), std::string::npos) << all;
  EXPECT_NE(all.find("tiny.png: 1x1 is smaller than the 16-pixel patch"), std::string::npos) << all;
  EXPECT_NE(all.find("huge.png: "), std::string::npos) << all;
  EXPECT_NE(all.find("40000x40000"), std::string::npos) << all;

  // The same folder gives the same split; a new file moves no other file's split.
  std::map<std::string, std::string> before;
  for (const ImageFile& f : folder.files) before[f.path] = f.split;
  ASSERT_TRUE(dae::image::save_png(folder.dir + "/zzz-new.png", synthetic(40, 40, 99)).ok());
  const ImageFolder again = load_image_folder({folder.dir, 3, 16});
  int moved = 0;
  for (const ImageFile& f : again.files)
    if (before.count(f.path) && before[f.path] != f.split) ++moved;
  EXPECT_LE(moved, 2);

  const std::string list = dir + "/files.tsv";
  write_file_list(list, folder);
  std::ifstream in(list);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("test\t"), std::string::npos);
  EXPECT_NE(text.find("# skipped: tiny.png"), std::string::npos);
}

// A file name holding a tab or a line break cannot forge a column or a row of the file list.
TEST(ImageFolder, FileListEscapesTabsAndLineBreaksInNames) {
  const std::string dir = dae::test::scratch_dir();
  const std::string root = dir + "/set";
  for (const char* s : {"train", "val"}) fs::create_directories(root + "/" + s);
  ASSERT_TRUE(dae::image::save_png(root + "/train/a.png", synthetic(32, 32, 1)).ok());
  ASSERT_TRUE(dae::image::save_png(root + "/train/b\ttest\t1\t1\nval\tforged.png", synthetic(32, 32, 2)).ok());
  ASSERT_TRUE(dae::image::save_png(root + "/val/c\\d.png", synthetic(32, 32, 3)).ok());
  std::ofstream(root + "/train/bad\n# x.png") << "not an image";
  const ImageFolder folder = load_image_folder({root, 3, 16});
  write_file_list(dir + "/files.tsv", folder);
  std::ifstream in(dir + "/files.tsv");
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> comments;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) {
      comments.push_back(line);
      continue;
    }
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
    rows.push_back(fields);
  }
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& r : rows) EXPECT_EQ(r.size(), 4u);
  EXPECT_EQ(rows[0][1], "train/a.png");
  EXPECT_EQ(rows[1][1], "train/b\\ttest\\t1\\t1\\nval\\tforged.png");
  EXPECT_EQ(rows[2][1], "val/c\\\\d.png");
  // The skipped file is one comment line too.
  EXPECT_EQ(std::count_if(comments.begin(), comments.end(),
                          [](const std::string& c) { return c.rfind("# skipped: train/bad\\n# x.png", 0) == 0; }),
            1);
}

TEST(ImageFolder, PresplitFoldersAreUsedAsGiven) {
  const std::string dir = dae::test::scratch_dir();
  for (const char* s : {"train", "val", "test"}) fs::create_directories(dir + "/set/" + s);
  ASSERT_TRUE(dae::image::save_png(dir + "/set/train/a.png", synthetic(32, 32, 1)).ok());
  ASSERT_TRUE(dae::image::save_png(dir + "/set/train/b.png", synthetic(32, 32, 2)).ok());
  ASSERT_TRUE(dae::image::save_png(dir + "/set/val/c.png", synthetic(32, 32, 3)).ok());
  ASSERT_TRUE(dae::image::save_png(dir + "/set/test/d.png", synthetic(32, 32, 4)).ok());
  const ImageFolder folder = load_image_folder({dir + "/set", 1, 16});
  EXPECT_EQ(folder.split("train").size(), 2u);
  ASSERT_EQ(folder.split("test").size(), 1u);
  EXPECT_EQ(folder.split("test")[0]->path, "test/d.png");
  EXPECT_EQ(folder.files[0].image.channels, 1);  // converted to luma for a grayscale model
}

TEST(ImageFolder, EmptyOrMissingFolderIsAClearError) {
  const std::string dir = dae::test::scratch_dir();
  EXPECT_THROW(load_image_folder({dir + "/nowhere", 3, 16}), std::runtime_error);
  try {
    load_image_folder({dir, 3, 16});
    FAIL() << "an empty folder was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("0 usable training"), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, PatchesAreSeededAndIndependentOfThreads) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 3, 16});
  auto draw = [&](int threads) {
    torch::set_num_threads(threads);
    torch::Tensor clean = torch::empty({12, 3, 16, 16}), noisy = torch::empty_like(clean);
    sample_patches(folder.split("train"), 16, 77, {{dae::NoiseKind::Gaussian}, 0.1f, 0.2f}, 0.0f, clean, noisy);
    return std::make_pair(clean, noisy);
  };
  const auto a = draw(1), b = draw(2);
  torch::set_num_threads(1);
  EXPECT_TRUE(torch::equal(a.first, b.first));
  EXPECT_TRUE(torch::equal(a.second, b.second));
  EXPECT_GE(a.first.min().item<float>(), 0.0f);
  EXPECT_LE(a.first.max().item<float>(), 1.0f);
  // The noise has about the asked σ (0.1 to 0.2, less where clipped).
  const double noise_std = (a.second - a.first).std().item<double>();
  EXPECT_GT(noise_std, 0.08);
  EXPECT_LT(noise_std, 0.21);
}

// With a list of kinds each patch gets one: salt-and-pepper patches differ from their clean patch only where a
// value became exactly 0 or 1, Gaussian ones almost everywhere; both kinds occur.
TEST(ImageFolder, ANoiseListGivesEachPatchOneOfItsKinds) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 3, 16});
  torch::Tensor clean = torch::empty({64, 3, 16, 16}), noisy = torch::empty_like(clean);
  sample_patches(folder.split("train"), 16, 5, {{dae::NoiseKind::Gaussian, dae::NoiseKind::SaltPepper}, 0.1f, 0.2f}, 0.0f,
                 clean, noisy);
  int impulses = 0, gaussian = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const torch::Tensor changed = noisy[i] != clean[i];
    const torch::Tensor extreme = (noisy[i] == 0) | (noisy[i] == 1);
    const double changed_share = changed.to(torch::kFloat).mean().item<double>();
    if (torch::equal(changed & extreme, changed)) {
      ++impulses;
      EXPECT_GT(changed_share, 0.03) << i;  // probability 0.1 to 0.2, less where the value was 0 or 1 already
      EXPECT_LT(changed_share, 0.25) << i;
    } else {
      ++gaussian;
      EXPECT_GT(changed_share, 0.9) << i;
    }
  }
  EXPECT_GT(impulses, 16);  // about half of 64
  EXPECT_GT(gaussian, 16);
}

// Camera patches: 8-bit values, each a crop with its own mosaic phase and JPEG grid; the camera range, not the σ
// range, sets their strength; the kinds without a camera draw what they drew before.
TEST(ImageFolder, CameraPatchesTakeTheCameraRange) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 3, 16});
  torch::Tensor clean = torch::empty({32, 3, 16, 16}), noisy = torch::empty_like(clean);
  NoiseDraw draw{{dae::NoiseKind::Camera, dae::NoiseKind::CameraJpeg}, 0.4f, 0.4f};
  draw.camera_lo = draw.camera_hi = 0.02f;
  sample_patches(folder.split("train"), 16, 3, draw, 0.0f, clean, noisy);
  EXPECT_TRUE(torch::equal(torch::round(noisy * 255) / 255, noisy));
  const double faint = (noisy - clean).std().item<double>();
  draw.camera_lo = draw.camera_hi = 0.06f;
  sample_patches(folder.split("train"), 16, 3, draw, 0.0f, clean, noisy);
  const double strong = (noisy - clean).std().item<double>();
  EXPECT_GT(faint, 0.005);
  EXPECT_LT(faint, 0.1) << "the σ range (0.4) leaked into camera patches";
  EXPECT_GT(strong, 2 * faint);
  // Drawing a camera kind takes more numbers than drawing a Gaussian one; a Gaussian-only list is unchanged by it.
  dae::Rng a(9), b(9);
  const dae::NoiseParams p = draw_noise({{dae::NoiseKind::Gaussian}, 0.1f, 0.2f}, a);
  EXPECT_EQ(p.amount, pick_amount(0.1f, 0.2f, b));
  EXPECT_EQ(a.next(), b.next());
}

TEST(ImageFolder, GrayPatchesAreGrayPhotosAsTheEngineGivesThemToAColorModel) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 3, 16});
  torch::Tensor clean = torch::empty({64, 3, 16, 16}), noisy = torch::empty_like(clean);
  sample_patches(folder.split("train"), 16, 9, {{dae::NoiseKind::Gaussian}, 0.2f, 0.2f}, 0.5f, clean, noisy);
  int gray = 0;
  std::vector<torch::Tensor> extra_noise;
  for (int64_t i = 0; i < 64; ++i) {
    const bool same = torch::equal(clean[i][0], clean[i][1]) && torch::equal(clean[i][0], clean[i][2]);
    if (!same) continue;
    ++gray;
    // The noise differs between the channels, and the channels' mean is the gray photo with noise of σ 0.2
    // (less where clipped): the synthetic color noise is zero-sum.
    EXPECT_FALSE(torch::equal(noisy[i][0], noisy[i][1])) << i;
    const torch::Tensor mean_noise = noisy[i].mean(0) - clean[i][0];
    EXPECT_GT(mean_noise.std().item<double>(), 0.12) << i;
    EXPECT_LT(mean_noise.std().item<double>(), 0.24) << i;
    extra_noise.push_back((noisy[i] - noisy[i].mean(0)).flatten());
  }
  EXPECT_GT(gray, 16);  // about half of 64
  EXPECT_LT(gray, 48);
  // The zero-sum part has about σ·√2 = 0.28 per channel (σ estimated from each patch, so not exactly).
  const double zero_sum_std = torch::cat(extra_noise).std().item<double>();
  EXPECT_GT(zero_sum_std, 0.18);
  EXPECT_LT(zero_sum_std, 0.36);
  // Each gray patch has its own draw of the synthetic noise (a random origin), not one shared pattern.
  ASSERT_GE(extra_noise.size(), 2u);
  EXPECT_FALSE(torch::allclose(extra_noise[0], extra_noise[1]));
}

TEST(ImageTrain, ColorModelLearnsAndLoadsInTheEngine) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 3, 16});
  TrainOptions o = tiny_photo_options(folder.dir, dir + "/out");
  o.export_onnx = true;
  const TrainResult r = train(o, image_folder_training(folder, o));
  ASSERT_TRUE(r.finished);
  ASSERT_EQ(r.history.size(), 2u);
  EXPECT_LT(r.history[1].val_loss, r.history[0].val_loss);
  dae::Result<dae::Model> m = dae::Model::from_file(r.model_path);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->arch().channels, 3);
  EXPECT_NE(m->metadata().at("dae.train_data").find("10 train, 1 val files"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/out/photo.onnx"));

  // The engine denoises a full color image of an odd size with it.
  dae::Tensor img = dae::image::to_tensor(synthetic(37, 29, 3));
  dae::Result<dae::Tensor> out = dae::denoise(*m, img);
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_EQ(out->c, 3);
  EXPECT_EQ(out->h, 29);
}

TEST(ImageTrain, GrayscaleTrainingDataForAColorModelIsRefused) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 1, 16});
  TrainOptions o = tiny_photo_options(folder.dir, dir + "/out");
  EXPECT_THROW(train(o, image_folder_training(folder, o)), std::runtime_error);
}

TEST(ImageTrain, ResumeMidEpochIsBitIdentical) {
  const std::string dir = dae::test::scratch_dir();
  const ImageFolder folder = load_image_folder({make_folder(dir), 3, 16});
  TrainOptions full = tiny_photo_options(folder.dir, dir + "/full");
  const TrainResult a = train(full, image_folder_training(folder, full));
  TrainOptions part = tiny_photo_options(folder.dir, dir + "/part");
  part.stop_after_steps = 17;
  ASSERT_FALSE(train(part, image_folder_training(folder, part)).finished);
  part.stop_after_steps = 0;
  part.resume = true;
  const TrainResult b = train(part, image_folder_training(folder, part));
  ASSERT_TRUE(b.finished);
  const auto wa = load_model_file(a.model_path)->named_weights(), wb = load_model_file(b.model_path)->named_weights();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(torch::equal(wa[i].second, wb[i].second)) << wa[i].first;
}

}  // namespace
