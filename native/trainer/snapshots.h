// --snapshots K: the weights at log-spaced optimizer steps with how good they were, kept in one file beside the
// model (<model>.snapshots.safetensors, the format of dae/snapshots.h), so the page can show the model as it learned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dae/snapshots.h"
#include "export_safetensors.h"
#include "graph_module.h"

namespace dae::trainer {

// The optimizer steps after which K snapshots are kept in a run of `total` steps: 0 (the weights before training),
// then K - 1 steps spaced evenly in log(step) from 1 to `total`, each at least one past the one before; fewer when
// the run has fewer steps than that. K < 2 keeps none.
std::vector<int64_t> snapshot_steps(int64_t total, int k);

class SnapshotHistory {
 public:
  // path: the history file; steps: this run's snapshot steps (snapshot_steps); steps_per_epoch: for the epochs.
  SnapshotHistory(std::string path, std::vector<int64_t> steps, int64_t steps_per_epoch);

  // --init from a model with a history beside it: that history comes first and this run's steps continue after its
  // last one (a fine-tune's history is the whole model's). Returns whether there was one of `arch` (a history of
  // another graph, as when a color model starts a gray one, is not continued); throws for a damaged file.
  bool continue_from(const std::string& init_model_path, const Arch& arch);
  // --resume at `step` of this run: reads the file back (checked by the engine's reader) and keeps what it held up
  // to that step, so the run neither repeats nor misses a snapshot. Throws when the file is missing or damaged.
  void resume(int64_t step);

  // Whether this run's `step` is one to keep and not kept yet.
  bool due(int64_t step) const;
  // Keeps `weights` as they are after `step` of this run and writes the file (atomically).
  void add(int64_t step, GraphModule& weights, double train_loss, double val_loss, double val_psnr);

  size_t size() const { return entries_.size(); }
  const std::string& path() const { return path_; }

 private:
  struct Entry {
    SnapshotInfo info;
    std::vector<NamedTensor> tensors;  // parameter names, without the "s<i>/" prefix
  };
  void keep(const Snapshots& file, size_t count);
  void write() const;

  std::string path_;
  std::vector<int64_t> steps_;
  int64_t steps_per_epoch_;
  std::vector<Entry> entries_;
  // What an --init history adds before this run: its steps, epochs and runs.
  int64_t step_offset_ = 0;
  double epoch_offset_ = 0;
  int run_ = 0;
  std::string arch_json_, name_;
};

}  // namespace dae::trainer
