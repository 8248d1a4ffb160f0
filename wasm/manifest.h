// The site's model list (models/models.json, written by the trainer): names, files and model-card facts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dae/result.h"

struct ModelInfo {
  std::string name, file, onnx, train_command, description;
  int64_t params = 0, bytes = 0;
  std::vector<std::pair<std::string, std::string>> quality;        // flattened "key" -> formatted value
  std::vector<std::pair<std::string, std::string>> facts;          // any other scalar field, formatted
  std::vector<std::pair<std::string, std::vector<float>>> curves;  // every numeric array whose key mentions "loss"
};

struct Manifest {
  std::string default_name;
  std::vector<ModelInfo> models;
  const ModelInfo* find(std::string_view name) const;
};

// Unknown fields are ignored so the trainer can add to the file without breaking the page.
dae::Result<Manifest> parse_manifest(std::string_view json);
