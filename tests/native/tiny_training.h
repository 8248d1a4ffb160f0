// The tiny Fashion-MNIST runs the trainer suites share: enough images to see learning, few enough for seconds.
#pragma once

#include <string>

#include "data.h"
#include "train.h"

namespace dae::test {

// Training images (plus validation images) the tiny runs use.
inline constexpr int64_t kTrainImages = 640, kValImages = 160;

inline const trainer::Dataset& small_data() {
  static const trainer::Dataset d = [] {
    trainer::Dataset full = trainer::load_fashion_mnist(trainer::kDefaultDataDir);
    trainer::Dataset s;
    s.train = trainer::head(full.train, kTrainImages + kValImages);
    s.test = trainer::head(full.test, 100);
    return s;
  }();
  return d;
}

// Two epochs of 20 steps (batch 32), σ in [0, 0.5], quiet, no ONNX file.
inline trainer::TrainOptions tiny_options(const std::string& model, const std::string& out) {
  trainer::TrainOptions o;
  o.model = model;
  o.out_dir = out;
  o.epochs = 2;
  o.batch = 32;
  o.lr = 2e-3;
  o.val_count = kValImages;
  o.sigma_lo = 0.0f, o.sigma_hi = 0.5f;
  o.quiet = true;
  o.export_onnx = false;
  o.seed = 11;
  return o;
}

}  // namespace dae::test
