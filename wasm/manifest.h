// The site's model list (models/models.json, written by the trainer): names, files, channels and model-card facts.
// This is the one place the manifest is checked; the page's JavaScript asks the app instead of parsing it again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dae/result.h"

struct ModelInfo {
  std::string name, file, onnx, train_command, description;
  std::string noise_train;  // the kinds of noise it was trained on ("gaussian", "gaussian,salt-pepper"); may be empty
  int64_t params = 0, bytes = 0;
  int channels = 1;  // 1 for grayscale models, 3 for RGB ("channels" in the manifest; absent means 1)
  std::vector<std::pair<std::string, std::string>> quality;        // flattened "key" -> formatted value
  std::vector<std::pair<std::string, std::string>> facts;          // any other scalar field, formatted
  std::vector<std::pair<std::string, std::vector<float>>> curves;  // every numeric array whose key mentions "loss"
  // Its training history (dae-train --snapshots): the file, its size, how many snapshots and training steps.
  std::string snapshots_file;
  int64_t snapshots_bytes = 0, snapshots_count = 0, snapshots_steps = 0;
};

struct Manifest {
  std::string default_name;
  std::string photo_name;  // "default_photo" if it names an RGB model, else the first RGB model; empty if none
  std::string photo_gray_name;  // "default_photo_gray" if it names a 1-channel model; else empty
  // "default_photo_camera" / "default_photo_gray_camera": the photo models for a camera's noise; else empty
  std::string photo_camera_name, photo_gray_camera_name;
  std::vector<ModelInfo> models;
  const ModelInfo* find(std::string_view name) const;
  // The app's choice for full-resolution uploads (photo_name's entry; nullptr if the list has no RGB model).
  const ModelInfo* photo() const;
  // The app's choice for full-resolution gray uploads: photo_gray_name's entry, else photo() (which takes gray
  // images with synthetic color noise, dae::model_input).
  const ModelInfo* photo_gray() const;
  // The choice for photos with a camera's noise, of `channels` (1 or 3): the camera model, else photo_gray() or
  // photo().
  const ModelInfo* photo_camera(int channels) const;
};

// Unknown fields are kept as model-card facts so the trainer can add to the file without breaking the page. Errors
// name the file and the entry, in words a person reading the page's status bar can act on.
dae::Result<Manifest> parse_manifest(std::string_view json);
