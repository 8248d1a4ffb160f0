// Evaluation report: engine-run models and classical baselines on the full test set at several noise levels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data.h"

namespace dae::trainer {

struct EvalOptions {
  std::string models_dir = "web/models";
  std::string out_dir = "web/models/report";
  int64_t limit = 0;  // first N test images (0 = all 10,000)
  uint64_t seed = 2024;
};

// Writes report.json, REPORT.md, samples.png and loss.png into out_dir. Models run through dae::denoise.
void evaluate_models(const EvalOptions& options, const Split& test);
// The models of a folder: the stems of its .safetensors files less training histories (<name>.snapshots), the
// default architecture first, then by name. Throws when the folder is missing, or holds none and `required`.
std::vector<std::string> model_names(const std::string& dir, bool required = true);
// Writes <models_dir>/models.json from the model files' metadata and <report_dir>/report.json.
void write_manifest(const std::string& models_dir, const std::string& report_dir);

}  // namespace dae::trainer
