// Checkpoint files use LibTorch's archive format; writes go to a temporary file that is renamed into place.
#include "checkpoint.h"

#include <sstream>
#include <stdexcept>

#include "export_safetensors.h"

namespace dae::trainer {
namespace {

// Columns of the stored history tensor, in EpochStats order.
constexpr int kHistoryColumns = 6;

}  // namespace

bool weights_finite(const GraphModuleImpl& model) {
  for (const auto& [name, t] : model.named_weights())
    if (!torch::isfinite(t).all().item<bool>()) return false;
  return true;
}

void save_checkpoint(const std::string& path, GraphModule& model, torch::optim::Optimizer& optimizer,
                     const LoopState& state, GraphModule* ema) {
  // A checkpoint of NaN weights would replace the last good one and make --resume useless.
  if (!weights_finite(*model) || (ema && !weights_finite(**ema)))
    throw std::runtime_error("not writing checkpoint '" + path + "': the weights hold NaN or infinite values");
  torch::serialize::OutputArchive archive, model_archive, optim_archive, ema_archive;
  model->save(model_archive);
  optimizer.save(optim_archive);
  archive.write("model", model_archive);
  if (ema) {
    (*ema)->save(ema_archive);
    archive.write("ema", ema_archive);
  }
  archive.write("optimizer", optim_archive);
  archive.write("epoch", c10::IValue(static_cast<int64_t>(state.epoch)));
  archive.write("batch", c10::IValue(state.batch));
  archive.write("loss_sum", c10::IValue(state.loss_sum));
  archive.write("loss_count", c10::IValue(state.loss_count));
  archive.write("seconds", c10::IValue(state.seconds));
  archive.write("fingerprint", c10::IValue(state.fingerprint));
  torch::Tensor history = torch::zeros({static_cast<int64_t>(state.history.size()), kHistoryColumns}, torch::kFloat64);
  for (size_t i = 0; i < state.history.size(); ++i) {
    const EpochStats& e = state.history[i];
    const double row[kHistoryColumns] = {double(e.epoch), e.train_loss, e.val_loss,
                                         e.val_psnr,      e.seconds,    e.images_per_second};
    for (int c = 0; c < kHistoryColumns; ++c) history[i][c] = row[c];
  }
  archive.write("history", history);
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

LoopState load_checkpoint(const std::string& path, GraphModule& model, torch::optim::Optimizer& optimizer,
                          const std::string& expected_fingerprint, GraphModule* ema) {
  torch::serialize::InputArchive archive, model_archive, optim_archive, ema_archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read checkpoint '" + path + "': " + e.what());
  }
  LoopState s;
  c10::IValue v;
  archive.read("fingerprint", v);
  s.fingerprint = v.toStringRef();
  if (s.fingerprint != expected_fingerprint)
    throw std::runtime_error(
        "checkpoint '" + path + "' was written with different options:\n  checkpoint: " + s.fingerprint +
        "\n  now:        " + expected_fingerprint + "\nresume with the same options, or delete the checkpoint");
  archive.read("model", model_archive);
  archive.read("optimizer", optim_archive);
  model->load(model_archive);
  optimizer.load(optim_archive);
  if (ema) {
    // The fingerprint includes --ema, so a checkpoint that matched has the average.
    archive.read("ema", ema_archive);
    (*ema)->load(ema_archive);
  }
  archive.read("epoch", v);
  s.epoch = static_cast<int>(v.toInt());
  archive.read("batch", v);
  s.batch = v.toInt();
  archive.read("loss_sum", v);
  s.loss_sum = v.toDouble();
  archive.read("loss_count", v);
  s.loss_count = v.toInt();
  archive.read("seconds", v);
  s.seconds = v.toDouble();
  torch::Tensor history;
  archive.read("history", history);
  for (int64_t i = 0; i < history.size(0); ++i) {
    auto r = history[i];
    s.history.push_back({static_cast<int>(r[0].item<double>()), r[1].item<double>(), r[2].item<double>(),
                         r[3].item<double>(), r[4].item<double>(), r[5].item<double>()});
  }
  return s;
}

}  // namespace dae::trainer
