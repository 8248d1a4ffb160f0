#include "snapshots.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "dae/arch.h"

namespace dae::trainer {

std::vector<int64_t> snapshot_steps(int64_t total, int k) {
  std::vector<int64_t> steps;
  if (k < 2 || total < 0) return steps;
  steps.push_back(0);
  for (int i = 1; i < k; ++i) {
    const double t = k == 2 ? 1.0 : double(i - 1) / double(k - 2);
    int64_t s = std::llround(std::exp(t * std::log(double(std::max<int64_t>(total, 1)))));
    s = std::min(total, std::max(s, steps.back() + 1));
    if (s > steps.back()) steps.push_back(s);
  }
  return steps;
}

SnapshotHistory::SnapshotHistory(std::string path, std::vector<int64_t> steps, int64_t steps_per_epoch)
    : path_(std::move(path)), steps_(std::move(steps)), steps_per_epoch_(std::max<int64_t>(1, steps_per_epoch)) {}

void SnapshotHistory::keep(const Snapshots& file, size_t count) {
  entries_.clear();
  for (size_t i = 0; i < count; ++i) {
    Entry e{file.info()[i], {}};
    for (const ParamSpec& p : param_specs(file.arch()))
      e.tensors.push_back(NamedTensor{p.name, p.shape, file.weights(i).at(p.name), {}});
    entries_.push_back(std::move(e));
  }
}

bool SnapshotHistory::continue_from(const std::string& init_model_path, const Arch& arch) {
  const std::string earlier = snapshots_path_for(init_model_path);
  if (!std::filesystem::exists(earlier)) return false;
  Result<Snapshots> file = Snapshots::from_file(earlier);
  if (!file.ok()) throw std::runtime_error("--snapshots: the history beside --init's model: " + file.error());
  if (arch_to_json(file->arch()) != arch_to_json(arch)) return false;
  keep(*file, file->size());
  const SnapshotInfo& last = entries_.back().info;
  // This run's step 0 is the --init weights: the earlier history's last snapshot, not a new one.
  step_offset_ = last.step, epoch_offset_ = last.epoch, run_ = last.run + 1;
  return true;
}

void SnapshotHistory::resume(int64_t step) {
  if (!std::filesystem::exists(path_))
    throw std::runtime_error("--resume --snapshots: the training history '" + path_ +
                             "' is missing, so the snapshots before the checkpoint are lost; put it back, or start "
                             "over without --resume");
  Result<Snapshots> file = Snapshots::from_file(path_);
  if (!file.ok()) throw std::runtime_error("--resume --snapshots: " + file.error());
  size_t count = 0;
  while (count < file->size() && (file->info()[count].run < run_ ||
                                  (file->info()[count].run == run_ && file->info()[count].step <= step_offset_ + step)))
    ++count;
  // What the --init history put first must still be there: the file was this run's own.
  if (count < entries_.size())
    throw std::runtime_error("--resume --snapshots: '" + path_ + "' does not begin with the history of --init's model");
  keep(*file, count);
}

bool SnapshotHistory::due(int64_t step) const {
  if (!std::binary_search(steps_.begin(), steps_.end(), step)) return false;
  if (step == 0 && run_ > 0) return false;  // the --init history's last snapshot already shows these weights
  return entries_.empty() || entries_.back().info.step < step_offset_ + step;
}

void SnapshotHistory::add(int64_t step, GraphModule& weights, double train_loss, double val_loss, double val_psnr) {
  Entry e;
  e.info.step = step_offset_ + step;
  e.info.epoch = epoch_offset_ + double(step) / double(steps_per_epoch_);
  e.info.train_loss = train_loss, e.info.val_loss = val_loss, e.info.val_psnr = val_psnr;
  e.info.run = run_;
  for (auto& [name, t] : weights->named_weights()) e.tensors.push_back(to_named(name, t));
  if (arch_json_.empty()) arch_json_ = arch_to_json(weights->arch()), name_ = weights->arch().name;
  entries_.push_back(std::move(e));
  write();
}

void SnapshotHistory::write() const {
  std::vector<NamedTensor> tensors;
  std::vector<SnapshotInfo> list;
  for (size_t i = 0; i < entries_.size(); ++i) {
    list.push_back(entries_[i].info);
    for (const NamedTensor& t : entries_[i].tensors) {
      NamedTensor named = t;
      named.name = snapshot_tensor_name(i, t.name);
      // F16 halves the file; the last stays F32, so the history ends on the model file's exact weights.
      named.store = i + 1 == entries_.size() ? StoreAs::F32 : StoreAs::F16;
      tensors.push_back(std::move(named));
    }
  }
  write_safetensors(path_, tensors,
                    {{kSnapshotsMetadataKey, snapshot_list_json(list)}, {kArchMetadataKey, arch_json_},
                     {"dae.name", name_}});
}

}  // namespace dae::trainer
