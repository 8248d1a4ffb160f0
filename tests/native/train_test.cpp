// Real (tiny) training runs: the loss falls, an interrupted run resumed from its checkpoint ends bit-identical to an
// uninterrupted one, and a diverging run stops with a clear message.
#include "train.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>

#include "checkpoint.h"
#include "dae/engine.h"
#include "evaluate.h"
#include "export_safetensors.h"
#include "test_dirs.h"
#include "tiny_training.h"

namespace {

using namespace dae::trainer;

using dae::test::kTrainImages;
using dae::test::small_data;
using dae::test::tiny_options;

std::vector<std::pair<std::string, torch::Tensor>> weights_of(const std::string& path) {
  return load_model_file(path)->named_weights();
}

TEST(Train, LossFallsAndModelLoadsInEngine) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("conv", dir);
  o.export_onnx = true;
  const TrainResult r = train(o, fashion_mnist_training(small_data(), o));
  ASSERT_TRUE(r.finished);
  ASSERT_EQ(r.history.size(), 2u);
  EXPECT_LT(r.history[1].train_loss, r.history[0].train_loss);
  EXPECT_LT(r.history[1].val_loss, r.history[0].val_loss);
  EXPECT_GT(r.history[1].val_psnr, r.history[0].val_psnr);
  dae::Result<dae::Model> m = dae::Model::from_file(r.model_path);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->metadata().at("dae.sigma_train"), "0-0.5");
  EXPECT_EQ(m->metadata().at(dae::kFormatMetadataKey), std::to_string(dae::kFormatVersion));
  EXPECT_TRUE(std::filesystem::exists(dir + "/conv.onnx"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/conv.ckpt"));
}

TEST(Train, BceLossWorksForTheSigmoidSeedModel) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("seed", dir);
  o.loss = "bce";
  o.epochs = 1;
  const TrainResult r = train(o, fashion_mnist_training(small_data(), o));
  ASSERT_TRUE(r.finished);
  EXPECT_TRUE(std::isfinite(r.history[0].val_loss));
  o.model = "unet";
  EXPECT_THROW(train(o, fashion_mnist_training(small_data(), o)), std::runtime_error);  // unet has no sigmoid output
}

// Interrupts a run after `stop_steps` optimizer steps, resumes it, and compares with an uninterrupted run.
void expect_resume_identical(const std::string& model, int64_t stop_steps,
                             const std::function<void(TrainOptions&)>& recipe = [](TrainOptions&) {}) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions full = tiny_options(model, dir + "/full");
  recipe(full);
  const TrainResult a = train(full, fashion_mnist_training(small_data(), full));
  ASSERT_TRUE(a.finished);

  TrainOptions part = tiny_options(model, dir + "/part");
  recipe(part);
  part.stop_after_steps = stop_steps;
  const TrainResult b1 = train(part, fashion_mnist_training(small_data(), part));
  ASSERT_FALSE(b1.finished);
  ASSERT_TRUE(std::filesystem::exists(b1.checkpoint_path));
  part.stop_after_steps = 0;
  part.resume = true;
  const TrainResult b2 = train(part, fashion_mnist_training(small_data(), part));
  ASSERT_TRUE(b2.finished);

  const auto wa = weights_of(a.model_path), wb = weights_of(b2.model_path);
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(torch::equal(wa[i].second, wb[i].second)) << wa[i].first;
  ASSERT_EQ(a.history.size(), b2.history.size());
  EXPECT_EQ(a.history[1].train_loss, b2.history[1].train_loss);
  EXPECT_EQ(a.history[1].val_loss, b2.history[1].val_loss);
}

TEST(Train, ResumeAtEpochBoundaryIsBitIdentical) {
  expect_resume_identical("conv", kTrainImages / 32);  // exactly one epoch
}

TEST(Train, ResumeMidEpochIsBitIdentical) {
  expect_resume_identical("unet", kTrainImages / 32 + 7);
}

TEST(Train, ResumeWithEmaWarmupAndL1ThenMseIsBitIdentical) {
  expect_resume_identical("unet", kTrainImages / 32 + 3, [](TrainOptions& o) {
    o.ema = 0.99;
    o.warmup = 8;
    o.loss = "l1-mse";
  });
}

TEST(Train, EmaIsWhatIsExportedAndTheRawTrajectoryIsUnchanged) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions plain = tiny_options("conv", dir + "/plain");
  plain.epochs = 1;
  const TrainResult a = train(plain, fashion_mnist_training(small_data(), plain));
  TrainOptions averaged = tiny_options("conv", dir + "/ema");
  averaged.epochs = 1;
  averaged.ema = 0.9;
  const TrainResult b = train(averaged, fashion_mnist_training(small_data(), averaged));
  // Same seed, so both saw the same batches and the raw losses agree; only the exported weights differ.
  EXPECT_EQ(a.history[0].train_loss, b.history[0].train_loss);
  const auto wa = weights_of(a.model_path), wb = weights_of(b.model_path);
  ASSERT_EQ(wa.size(), wb.size());
  bool differs = false;
  for (size_t i = 0; i < wa.size(); ++i) differs |= !torch::equal(wa[i].second, wb[i].second);
  EXPECT_TRUE(differs);
  dae::Result<dae::Model> m = dae::Model::from_file(b.model_path);
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_NE(m->metadata().at("dae.recipe").find("ema 0.9"), std::string::npos) << m->metadata().at("dae.recipe");
  EXPECT_TRUE(std::isfinite(b.history[0].val_psnr));
}

TEST(Train, ResumeRefusesDifferentOptions) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("seed", dir);
  o.stop_after_steps = 3;
  train(o, fashion_mnist_training(small_data(), o));
  o.stop_after_steps = 0;
  o.resume = true;
  o.lr = 1e-2;
  try {
    train(o, fashion_mnist_training(small_data(), o));
    FAIL() << "resume with another learning rate was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("different options"), std::string::npos) << e.what();
  }
}

TEST(Train, ResumeRefusesACheckpointWhosePositionIsOutOfRange) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("seed", dir);
  o.stop_after_steps = 3;
  const TrainResult first = train(o, fashion_mnist_training(small_data(), o));
  ASSERT_FALSE(first.finished);
  GraphModule model = make_model(o.model);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(o.lr));
  LoopState state = load_checkpoint(first.checkpoint_path, model, optimizer, checkpoint_fingerprint(o));
  EXPECT_EQ(state.batch, 3);
  o.stop_after_steps = 0;
  o.resume = true;
  // The same checkpoint with a position no run of these options reaches, as a damaged or edited file could say.
  for (const auto& [epoch, batch] : std::vector<std::pair<int, int64_t>>{{999, 0}, {0, int64_t(1) << 40}, {-1, 0}}) {
    state.epoch = epoch, state.batch = batch;
    save_checkpoint(first.checkpoint_path, model, optimizer, state);
    try {
      train(o, fashion_mnist_training(small_data(), o));
      ADD_FAILURE() << "resumed at epoch " << epoch << ", batch " << batch;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("is damaged"), std::string::npos) << e.what();
    }
  }
}

TEST(Train, DivergingLossStopsWithClearMessage) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("unet", dir);
  o.lr = 1e30;  // the first Adam step moves every weight by about 1e30, so the next forward overflows
  try {
    train(o, fashion_mnist_training(small_data(), o));
    FAIL() << "training with an absurd learning rate did not stop";
  } catch (const NonFiniteLoss& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("the loss became"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unet.ckpt"), std::string::npos) << msg;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/unet.safetensors"));  // no model file from a diverged run
}

// A step whose loss is finite but whose gradient is not (injected through the loop's test hook after the backward
// pass) stops the run before the optimizer step, and the files of the last finished epoch stay as they were.
TEST(Train, NonFiniteGradientStopsBeforeTheStepAndKeepsTheLastGoodFiles) {
  const std::string dir = dae::test::scratch_dir();
  TrainOptions o = tiny_options("conv", dir);
  o.epochs = 3;
  // 640 images in batches of 32: 20 steps an epoch; step 39 is epoch 2's last, whose end would write files.
  setenv("DAE_TEST_NONFINITE_GRADIENT", "39", 1);
  try {
    train(o, fashion_mnist_training(small_data(), o));
    ADD_FAILURE() << "a NaN gradient did not stop the run";
  } catch (const NonFiniteLoss& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("the gradients became NaN or infinite at epoch 2, batch 19"), std::string::npos) << msg;
    EXPECT_NE(msg.find("conv.ckpt"), std::string::npos) << msg;
  }
  unsetenv("DAE_TEST_NONFINITE_GRADIENT");
  // The checkpoint and the model file are epoch 1's, finite, and the run resumes from them.
  GraphModule model = make_model(o.model);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(o.lr));
  const LoopState state = load_checkpoint(dir + "/conv.ckpt", model, optimizer, checkpoint_fingerprint(o));
  EXPECT_EQ(state.epoch, 1);
  EXPECT_TRUE(weights_finite(*model));
  GraphModule written = load_model_file(dir + "/conv.safetensors");  // the engine's loader refuses NaN weights
  EXPECT_TRUE(weights_finite(*written));
  o.resume = true;
  const TrainResult resumed = train(o, fashion_mnist_training(small_data(), o));
  EXPECT_TRUE(resumed.finished);
  EXPECT_EQ(resumed.history.size(), 3u);
}

// dae.history is metadata anyone can write: `[{}]` used to abort evaluate (an unchecked const operator[]).
TEST(Evaluate, CraftedTrainingHistoriesAreSkippedNotFatal) {
  const std::string dir = dae::test::scratch_dir();
  GraphModule seed = make_model("seed"), conv = make_model("conv");
  write_model_file(dir + "/seed.safetensors", seed, {{"dae.history", "[{}]"}});
  // A NaN validation loss (JSON null, as a diverged epoch is written) is a gap in the curve.
  write_model_file(dir + "/conv.safetensors", conv,
                   {{"dae.history", R"([{"train_loss":0.1,"val_loss":null,"val_psnr":20},)"
                                    R"({"train_loss":0.05,"val_loss":0.04,"val_psnr":22}])"}});
  int i = 0;
  for (const char* bad : {"{\"a\":1}", "[1,2]", "\"text\"", "[{\"train_loss\":\"x\"}]", "not json"})
    write_model_file(dir + "/bad" + std::to_string(i++) + ".safetensors", seed, {{"dae.history", bad}});
  EvalOptions e;
  e.models_dir = dir;
  e.out_dir = dir + "/report";
  e.limit = 10;
  EXPECT_NO_THROW(evaluate_models(e, small_data().test));
  EXPECT_TRUE(std::filesystem::exists(dir + "/report/loss.png"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/report/psnr.png"));
}

TEST(Train, NaNWeightsAreNeverWritten) {
  const std::string dir = dae::test::scratch_dir();
  GraphModule model = make_model("seed");
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  write_model_file(dir + "/seed.safetensors", model, {});
  save_checkpoint(dir + "/seed.ckpt", model, optimizer, LoopState{});
  const auto model_bytes = std::filesystem::file_size(dir + "/seed.safetensors");
  const auto checkpoint_time = std::filesystem::last_write_time(dir + "/seed.ckpt");
  {
    torch::NoGradGuard no_grad;
    model->parameters().back().view({-1})[0] = std::numeric_limits<float>::infinity();
  }
  EXPECT_FALSE(weights_finite(*model));
  EXPECT_THROW(write_model_file(dir + "/seed.safetensors", model, {{"dae.note", "a different size"}}),
               std::runtime_error);
  EXPECT_THROW(save_checkpoint(dir + "/seed.ckpt", model, optimizer, LoopState{}), std::runtime_error);
  EXPECT_EQ(std::filesystem::file_size(dir + "/seed.safetensors"), model_bytes);
  EXPECT_EQ(std::filesystem::last_write_time(dir + "/seed.ckpt"), checkpoint_time);
  EXPECT_NO_THROW(load_model_file(dir + "/seed.safetensors"));
}

}  // namespace

namespace {

// A module of `name` with seeded random weights.
GraphModule random_module(const std::string& name, uint64_t seed) {
  torch::manual_seed(seed);
  GraphModule m = make_model(name);
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters()) p.uniform_(-0.3, 0.3);
  return m;
}

}  // namespace

TEST(Train, NoiseListsAreParsedAndBadOnesRefusedByName) {
  EXPECT_EQ(parse_noise_list("gaussian"), std::vector<dae::NoiseKind>{dae::NoiseKind::Gaussian});
  const std::vector<dae::NoiseKind> two = parse_noise_list("salt-pepper,gaussian");
  EXPECT_EQ(two, (std::vector<dae::NoiseKind>{dae::NoiseKind::SaltPepper, dae::NoiseKind::Gaussian}));
  EXPECT_EQ(noise_list_string(two), "salt-pepper,gaussian");
  auto refused = [](const std::string& text, const std::string& why) {
    try {
      parse_noise_list(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused("gaussian,blur", "unknown noise 'blur'");
  refused("gaussian,", "unknown noise ''");
  refused("", "unknown noise ''");
  refused("poisson,poisson", "names poisson twice");
}

// One kind draws nothing for the choice: the numbers are those of add_noise image by image, as before lists.
TEST(Train, OneNoiseKindGivesTheSameNumbersAsAddNoise) {
  const torch::Tensor clean = torch::rand({3, 1, 8, 8});
  const float lo = 0.1f, hi = 0.3f;
  dae::Rng a(7), b(7);
  const torch::Tensor noisy = make_noisy(clean, {{dae::NoiseKind::Poisson}, lo, hi}, a);
  for (int64_t i = 0; i < 3; ++i) {
    std::vector<float> expected(64);
    const float sigma = pick_amount(lo, hi, b);
    dae::add_noise(clean[i].contiguous().data_ptr<float>(), expected.data(), 64, {dae::NoiseKind::Poisson, sigma}, b);
    EXPECT_TRUE(torch::equal(noisy[i].flatten(), torch::from_blob(expected.data(), {64}))) << i;
  }
}

TEST(Train, ColorWeightsStartAGrayModelThatGivesTheMeanOfTheColorOutputs) {
  // The gray model from the color one's weights: a gray image gives the mean over R, G, B of what the color model
  // gives for that gray copied to R, G and B (first layer summed over the channels, output layers averaged).
  GraphModule color = random_module("photo", 5);
  GraphModule gray = random_module("photo-gray", 6);
  copy_init_weights(*gray, *color, "test");
  torch::manual_seed(7);
  const torch::Tensor g = torch::rand({2, 1, 16, 24});
  torch::NoGradGuard no_grad;
  const torch::Tensor want = color->forward(g.repeat({1, 3, 1, 1})).mean(1, true);
  EXPECT_TRUE(torch::allclose(gray->forward(g), want, 1e-4, 1e-5));

  // And back: a color model from gray weights gives every channel the gray model's result on a gray image.
  GraphModule back = random_module("photo", 8);
  copy_init_weights(*back, *gray, "test");
  const torch::Tensor out = back->forward(g.repeat({1, 3, 1, 1}));
  for (int c = 0; c < 3; ++c) EXPECT_TRUE(torch::allclose(out.slice(1, c, c + 1), gray->forward(g), 1e-4, 1e-5));

  // The same graph under another name copies as it is.
  GraphModule unet32 = random_module("unet32", 9);
  copy_init_weights(*unet32, *gray, "test");
  EXPECT_TRUE(torch::equal(unet32->forward(g), gray->forward(g)));
}

TEST(Train, InitFromAnotherGraphIsRefusedWithTheReason) {
  GraphModule seed = random_module("seed", 1), unet = random_module("unet", 2), photo = random_module("photo", 3);
  for (auto [target, init] : {std::pair{&seed, &photo}, std::pair{&unet, &photo}}) {
    try {
      copy_init_weights(**target, **init, "--init: 'x.safetensors'");
      ADD_FAILURE() << "a different graph was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(
          std::string(e.what()).find("--init: 'x.safetensors' is a 'photo' model (3 channel(s)), not the graph of"),
          std::string::npos)
          << e.what();
    }
  }
}
