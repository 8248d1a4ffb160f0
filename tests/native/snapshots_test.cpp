// --snapshots: the training history a tiny run keeps, read back by the engine's checked reader; a resumed run keeps
// the same history as an uninterrupted one; a fine-tune continues its start's history; damaged files are refused.
#include "snapshots.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "dae/engine.h"
#include "dae/snapshots.h"
#include "test_dirs.h"
#include "tiny_training.h"
#include "train.h"

namespace {

using namespace dae::trainer;
using dae::test::small_data;
using dae::test::tiny_options;

std::vector<uint8_t> bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// The engine's output of `model` on a fixed noisy batch.
std::vector<float> outputs(const dae::Model& model) {
  dae::Tensor in(3, model.arch().channels, 28, 28);
  for (size_t i = 0; i < in.size(); ++i) in.data[i] = float((i * 7919) % 1000) / 1000.0f;
  dae::Result<dae::Tensor> out = model.forward(in);
  EXPECT_TRUE(out.ok()) << out.error();
  return out.ok() ? out->data : std::vector<float>{};
}

TEST(Snapshots, StepsStartAtZeroEndAtTheLastStepAndSpreadOutInLogSteps) {
  EXPECT_EQ(snapshot_steps(40, 6), (std::vector<int64_t>{0, 1, 3, 6, 16, 40}));
  EXPECT_EQ(snapshot_steps(1000, 5), (std::vector<int64_t>{0, 1, 10, 100, 1000}));
  EXPECT_EQ(snapshot_steps(3, 10), (std::vector<int64_t>{0, 1, 2, 3}));  // fewer steps than snapshots
  EXPECT_EQ(snapshot_steps(50, 2), (std::vector<int64_t>{0, 50}));
  EXPECT_TRUE(snapshot_steps(50, 1).empty());
  EXPECT_TRUE(snapshot_steps(50, 0).empty());
}

TEST(Snapshots, ATinyRunKeepsCheckedSnapshotsThatEndOnTheModelFile) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("conv", dir);
  o.snapshots = 6;
  const TrainResult r = train(o, fashion_mnist_training(small_data(), o));
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.snapshots_path, dir + "/conv.snapshots.safetensors");
  dae::Result<dae::Snapshots> h = dae::Snapshots::from_file(r.snapshots_path);
  ASSERT_TRUE(h.ok()) << h.error();
  const int64_t total = 2 * dae::test::kTrainImages / 32;
  std::vector<int64_t> steps;
  for (const dae::SnapshotInfo& s : h->info()) {
    steps.push_back(s.step);
    EXPECT_EQ(s.run, 0);
    EXPECT_DOUBLE_EQ(s.epoch, double(s.step) / double(total / 2));
  }
  EXPECT_EQ(steps, snapshot_steps(total, 6));
  // It learned: the last snapshot is the run's final validation, better than the untrained start.
  EXPECT_GT(h->info().back().val_psnr, h->info().front().val_psnr + 1.0);
  EXPECT_NEAR(h->info().back().val_psnr, r.history.back().val_psnr, 1e-9);
  EXPECT_LT(h->info().back().train_loss, h->info().front().train_loss);

  dae::Result<dae::Model> file = dae::Model::from_file(r.model_path);
  ASSERT_TRUE(file.ok()) << file.error();
  EXPECT_TRUE(h->same_arch(*file));
  dae::Result<dae::Model> last = h->model(h->size() - 1), first = h->model(0);
  ASSERT_TRUE(last.ok() && first.ok());
  EXPECT_EQ(outputs(*last), outputs(*file));  // the last snapshot is F32: exactly the model file
  EXPECT_NE(outputs(*first), outputs(*file));
  EXPECT_FALSE(h->model(h->size()).ok());

  // The history is not a model: loading it as one says what it is.
  dae::Result<dae::Model> wrong = dae::Model::from_file(r.snapshots_path);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().find("training history"), std::string::npos) << wrong.error();
}

TEST(Snapshots, AResumedRunKeepsTheSameHistoryAsAnUninterruptedOne) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions full = tiny_options("conv", dir + "/full");
  full.snapshots = 7;
  ASSERT_TRUE(train(full, fashion_mnist_training(small_data(), full)).finished);

  // Stopped between snapshots (steps 0 1 2 4 9 19 40), then again right on one (step 9).
  TrainOptions part = tiny_options("conv", dir + "/part");
  part.snapshots = 7;
  for (int64_t stop : {6, 3}) {
    part.stop_after_steps = stop;
    ASSERT_FALSE(train(part, fashion_mnist_training(small_data(), part)).finished);
    part.resume = true;
  }
  part.stop_after_steps = 0;
  const TrainResult b = train(part, fashion_mnist_training(small_data(), part));
  ASSERT_TRUE(b.finished);
  const auto a_bytes = bytes_of(dir + "/full/conv.snapshots.safetensors");
  ASSERT_FALSE(a_bytes.empty());
  EXPECT_EQ(a_bytes, bytes_of(b.snapshots_path)) << "the resumed history differs";

  // Resuming without the history would silently lose its start: refused, naming the file.
  TrainOptions again = tiny_options("conv", dir + "/again");
  again.snapshots = 7;
  again.stop_after_steps = 5;
  ASSERT_FALSE(train(again, fashion_mnist_training(small_data(), again)).finished);
  std::filesystem::remove(dir + "/again/conv.snapshots.safetensors");
  again.resume = true;
  again.stop_after_steps = 0;
  try {
    train(again, fashion_mnist_training(small_data(), again));
    ADD_FAILURE() << "resumed without its history";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("conv.snapshots.safetensors' is missing"), std::string::npos) << e.what();
  }
}

TEST(Snapshots, AFineTuneContinuesTheHistoryOfTheModelItStartsFrom) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions a = tiny_options("unet", dir + "/a");
  a.snapshots = 4;
  const TrainResult ra = train(a, fashion_mnist_training(small_data(), a));
  ASSERT_TRUE(ra.finished);
  TrainOptions b = tiny_options("unet", dir + "/b");
  b.epochs = 1;
  b.lr = 5e-4;
  b.init_from = ra.model_path;
  b.snapshots = 3;
  const TrainResult rb = train(b, fashion_mnist_training(small_data(), b));
  ASSERT_TRUE(rb.finished);
  dae::Result<dae::Snapshots> h = dae::Snapshots::from_file(rb.snapshots_path);
  ASSERT_TRUE(h.ok()) << h.error();
  // a: steps 0 1 6 40; b: 20 steps, its step 0 is a's last, then 1 and 20 after it.
  std::vector<int64_t> steps;
  std::vector<int> runs;
  for (const dae::SnapshotInfo& s : h->info()) steps.push_back(s.step), runs.push_back(s.run);
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 1, 6, 40, 41, 60}));
  EXPECT_EQ(runs, (std::vector<int>{0, 0, 0, 0, 1, 1}));
  EXPECT_DOUBLE_EQ(h->info().back().epoch, 3.0);
  dae::Result<dae::Model> file = dae::Model::from_file(rb.model_path), last = h->model(h->size() - 1);
  ASSERT_TRUE(file.ok() && last.ok());
  EXPECT_EQ(outputs(*last), outputs(*file));
}

// A valid history file's bytes with the first `from` in its header text replaced by `to`.
std::vector<uint8_t> with_header(const std::vector<uint8_t>& file, const std::string& from, const std::string& to) {
  uint64_t old_n = 0;
  std::memcpy(&old_n, file.data(), 8);
  std::string header(file.begin() + 8, file.begin() + 8 + long(old_n));
  const size_t at = header.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) header.replace(at, from.size(), to);
  header.resize(((header.size() + 7) / 8) * 8, ' ');
  const uint64_t n = header.size();
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  out += header;
  out.append(file.begin() + 8 + long(old_n), file.end());
  return {out.begin(), out.end()};
}

TEST(Snapshots, DamagedHistoriesAreRefusedWithTheReason) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("seed", dir);
  o.loss = "bce";
  o.epochs = 1;
  o.snapshots = 3;
  const TrainResult r = train(o, fashion_mnist_training(small_data(), o));
  ASSERT_TRUE(r.finished);
  const std::vector<uint8_t> good = bytes_of(r.snapshots_path);
  auto refused = [](const std::vector<uint8_t>& bytes, const std::string& reason) {
    dae::Result<dae::Snapshots> h = dae::Snapshots::from_safetensors(bytes.data(), bytes.size());
    ASSERT_FALSE(h.ok()) << reason;
    EXPECT_NE(h.error().find(reason), std::string::npos) << h.error();
  };
  ASSERT_TRUE(dae::Snapshots::from_safetensors(good.data(), good.size()).ok());
  refused(std::vector<uint8_t>(good.begin(), good.begin() + long(good.size() / 2)), "snapshots:");
  // The list is JSON text inside the header's JSON, so its quotes are escaped there.
  refused(with_header(good, R"(\"step\":1,)", R"(\"step\":0,)"), "steps must increase");
  refused(with_header(good, R"(\"step\":1,)", R"(\"step\":-1,)"), "'step' must be a whole number");
  refused(with_header(good, R"(\"val_psnr\":)", R"(\"val_psnx\":)"), "no number 'val_psnr'");
  refused(with_header(good, "\"s1/enc1.weight\"", "\"s9/enc1.weight\""), "'s1/enc1.weight' is missing");
  refused(with_header(good, "dae.snapshots", "dae.snapshotz"), "not a training history");
  // A history the trainer wrote for a model file: its model is refused by the snapshot reader too.
  const std::vector<uint8_t> model = bytes_of(r.model_path);
  refused(model, "not a training history");

  // --resume with a damaged history stops with the engine's reason, before training on.
  TrainOptions part = tiny_options("seed", dir + "/part");
  part.loss = "bce";
  part.epochs = 1;
  part.snapshots = 3;
  part.stop_after_steps = 4;
  ASSERT_FALSE(train(part, fashion_mnist_training(small_data(), part)).finished);
  const std::string path = dir + "/part/seed.snapshots.safetensors";
  std::vector<uint8_t> bytes = bytes_of(path);
  bytes.resize(bytes.size() - 10);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), long(bytes.size()));
  part.resume = true;
  part.stop_after_steps = 0;
  try {
    train(part, fashion_mnist_training(small_data(), part));
    ADD_FAILURE() << "resumed from a damaged history";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--resume --snapshots: "), std::string::npos) << e.what();
  }
}

}  // namespace
