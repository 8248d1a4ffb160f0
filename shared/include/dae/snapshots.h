// A model's training history: copies of its weights at chosen optimizer steps, with how good each copy was, so a
// reader can see the model as it was while it learned ("dae-train train --snapshots K").
//
// The format is one safetensors file beside the model, `<model>.snapshots.safetensors`:
// - metadata "dae.snapshots": a JSON array, one object per snapshot in increasing "step" order, each with
//   "step" (optimizer steps taken, 0 = the weights before training), "epoch" (steps / steps per epoch, counted
//   across the runs the history spans), "train_loss" (the loss on a fixed training batch, the run's loss),
//   "val_loss" and "val_psnr" (the run's validation set and loss), and "run" (0 for the first run of a history
//   continued by --init, 1 for the next, ...);
// - metadata "dae.arch" (the architecture JSON, as in a model file) and "dae.name";
// - tensors "s<i>/<param>" for snapshot i and every parameter of the architecture. Every snapshot is F16 except
//   the last, kept in F32, so the end of the history is exactly the model file the run wrote.
// The reader checks all of it as Model::from_safetensors checks a model: shapes, finite values, no missing or
// extra tensors, steps increasing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dae/arch.h"
#include "dae/engine.h"
#include "dae/result.h"

namespace dae {

inline constexpr const char* kSnapshotsMetadataKey = "dae.snapshots";
// Most snapshots one file may hold; `--snapshots` asks for a few dozen.
inline constexpr size_t kMaxSnapshots = 1000;

struct SnapshotInfo {
  int64_t step = 0;
  double epoch = 0;
  double train_loss = 0, val_loss = 0, val_psnr = 0;
  int run = 0;
};

// "s<i>/<name>": snapshot i's copy of parameter `name`.
std::string snapshot_tensor_name(size_t index, const std::string& name);
// "<dir>/<stem>.snapshots.safetensors" for "<dir>/<stem>.safetensors" (any other name gets the suffix appended).
std::string snapshots_path_for(const std::string& model_path);
// The metadata array (the inverse of parse_snapshot_list): what a writer stores under kSnapshotsMetadataKey.
std::string snapshot_list_json(const std::vector<SnapshotInfo>& list);
// Parses and checks the metadata array: at most kMaxSnapshots entries, steps >= 0 and strictly increasing, finite
// numbers (a loss or PSNR the trainer could not compute is refused too).
Result<std::vector<SnapshotInfo>> parse_snapshot_list(const std::string& json);

class Snapshots {
 public:
  static Result<Snapshots> from_safetensors(const uint8_t* bytes, size_t size);
  static Result<Snapshots> from_file(const std::string& path);

  const Arch& arch() const { return arch_; }
  const std::vector<SnapshotInfo>& info() const { return info_; }
  size_t size() const { return info_.size(); }
  // The model as it was at snapshot i (i < size()).
  Result<Model> model(size_t i) const;
  // Snapshot i's weights by parameter name (i < size()).
  const std::map<std::string, std::vector<float>>& weights(size_t i) const { return weights_.at(i); }
  // Whether `model` has this history's architecture, so the snapshots can stand in for it.
  bool same_arch(const Model& model) const;

 private:
  Arch arch_;
  std::vector<SnapshotInfo> info_;
  std::vector<std::map<std::string, std::vector<float>>> weights_;  // per snapshot, by parameter name
};

}  // namespace dae
