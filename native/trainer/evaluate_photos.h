// Photo quality report: classical filters, a non-local means peer and every model (through the engine) on the
// test photos, in grayscale and color, at several levels of one kind of noise (Gaussian unless asked).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dae/noise.h"

namespace dae::trainer {

struct PhotoEvalOptions {
  std::string photos_dir = "build/photoset/test";
  std::string models_dir = "web/models";
  std::vector<std::string> model_names;  // only these models of models_dir (empty = all)
  std::string out_dir = "web/models/report";
  // Non-local means (or any other peer) outputs written by native/bench/nlm_peer.py; scored like everything else.
  std::vector<std::string> peer_dirs;
  // When set: write the noisy inputs here (raw float32 + index.json) for a peer, and evaluate nothing.
  std::string write_noisy_dir;
  int crop = 512;  // evaluate a center crop of at most crop×crop pixels of each photo (0 = whole photos)
  int limit = 0;   // first N photos by file name (0 = all)
  uint64_t seed = 2024;
  int threads = 2;  // photos processed at once
  std::vector<float> sigmas = {0.05f, 0.1f, 0.2f, 0.3f};  // levels: σ, or the probability for salt-and-pepper
  NoiseKind noise = NoiseKind::Gaussian;
  int ensemble = 1;  // models run averaged over this many symmetries (dae::RunOptions::ensemble)
  std::string command;  // the command line, recorded in the report
};

// Writes photos.json, PHOTOS.md and photos-samples.png into out_dir (or only the noisy inputs, see above).
// Returns the process exit status; errors are printed.
int evaluate_photos(const PhotoEvalOptions& options);

}  // namespace dae::trainer
