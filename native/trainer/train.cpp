// The training loop. Data order and noise come from generators seeded by (seed, epoch, batch) only, so a resumed
// run replays exactly the batches an uninterrupted run would have seen.
#include "train.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "checkpoint.h"
#include "snapshots.h"
#include "dae/metrics.h"
#include "export_onnx.h"
#include "export_safetensors.h"

namespace dae::trainer {
namespace {

// Seconds between progress lines.
constexpr double kProgressInterval = 2.0;
// Images per validation forward pass.
constexpr int64_t kValBatch = 500;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool uses_camera(const TrainOptions& o) {
  return std::any_of(o.noise.begin(), o.noise.end(), is_camera);
}

std::string format_duration(double s) {
  char buf[32];
  const int total = static_cast<int>(s + 0.5);
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", total / 3600, total / 60 % 60);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", total / 60, total % 60);
  return buf;
}

// The loss at a step of `total` ("l1-mse" switches from L1 to MSE half-way; validation passes step = total).
torch::Tensor loss_fn(const std::string& loss, const torch::Tensor& out, const torch::Tensor& clean, int64_t step,
                      int64_t total) {
  if (loss == "bce") return torch::binary_cross_entropy(out, clean);
  if (loss == "l1" || (loss == "l1-mse" && 2 * step < total)) return torch::l1_loss(out, clean);
  return torch::mse_loss(out, clean);
}

// The recipe options beyond loss and noise, for the model file ("adam lr 0.001 cosine, warm-up 500, ema 0.999").
std::string recipe_string(const TrainOptions& o) {
  std::ostringstream r;
  r << "adam lr " << o.lr << " cosine, batch " << global_batch(o);
  if (o.world_size > 1) r << " (" << o.world_size << " processes x " << o.batch << ")";
  if (o.warmup > 0) r << ", warm-up " << o.warmup;
  if (o.ema > 0) r << ", ema " << o.ema;
  return r.str();
}

bool is_known_loss(const std::string& loss) {
  return loss == "mse" || loss == "bce" || loss == "l1" || loss == "l1-mse";
}

// Learning rate at a step: linear warm-up, then a cosine decay to 1% of the initial rate.
double learning_rate(const TrainOptions& o, int64_t step, int64_t total) {
  if (step < o.warmup) return o.lr * double(step + 1) / double(o.warmup);
  const double t = double(step - o.warmup) / double(std::max<int64_t>(1, total - o.warmup));
  return o.lr * (0.01 + 0.99 * 0.5 * (1.0 + std::cos(M_PI * t)));
}

// ema ← d·ema + (1 − d)·weights, with d ramped up over the first steps so early averages are not dominated by
// the random start.
void update_ema(GraphModule& ema, GraphModule& model, double decay, int64_t step) {
  torch::NoGradGuard no_grad;
  const double d = std::min(decay, double(1 + step) / double(10 + step));
  auto target = ema->parameters();
  auto source = model->parameters();
  for (size_t i = 0; i < target.size(); ++i) target[i].mul_(d).add_(source[i], 1.0 - d);
}

std::string fingerprint(const TrainOptions& o) {
  std::ostringstream s;
  // The global batch: a run resumed with another split into processes sees the same batches.
  s << "model=" << o.model << " epochs=" << o.epochs << " batch=" << global_batch(o) << " lr=" << o.lr
    << " limit=" << o.limit << " val=" << o.val_count << " sigma=" << sigma_string(o.sigma_lo, o.sigma_hi)
    << " noise=" << noise_list_string(o.noise) << " loss=" << o.loss << " seed=" << o.seed;
  if (o.ema > 0) s << " ema=" << o.ema;
  if (o.warmup > 0) s << " warmup=" << o.warmup;
  if (o.snapshots > 0) s << " snapshots=" << o.snapshots;
  if (!o.images_dir.empty()) s << " images=" << o.images_dir << " patch=" << o.patch << " patches=" << o.patches;
  if (o.gray_fraction > 0) s << " gray=" << o.gray_fraction;
  if (uses_camera(o)) s << " camera=" << sigma_string(o.camera_lo, o.camera_hi);
  return s.str();
}

struct Validation {
  double loss = 0, psnr = 0;
};

// Images per validation forward pass: about 500 Fashion-MNIST images' worth of pixels.
int64_t val_batch(const torch::Tensor& val) {
  return std::max<int64_t>(1, kValBatch * 28 * 28 / std::max<int64_t>(1, val[0].numel()));
}

Validation validate_model(GraphModule& model, const TrainingData& data, const TrainOptions& o, torch::Device device) {
  torch::NoGradGuard no_grad;
  model->eval();
  Validation v;
  const int64_t count = data.val_clean.size(0), step = val_batch(data.val_clean);
  for (int64_t b = 0; b < count; b += step) {
    torch::Tensor clean = data.val_clean.slice(0, b, std::min(count, b + step)).contiguous();
    torch::Tensor noisy = data.val_noisy.slice(0, b, std::min(count, b + step));
    torch::Tensor out = model->forward(noisy.to(device)).to(torch::kCPU);
    v.loss += loss_fn(o.loss, out, clean, 1, 1).item<double>() * clean.size(0);
    torch::Tensor clamped = out.clamp(0.0, 1.0).contiguous();
    const int64_t plane = clean[0].numel();
    for (int64_t i = 0; i < clean.size(0); ++i)
      v.psnr += psnr_db(clamped.data_ptr<float>() + i * plane, clean.data_ptr<float>() + i * plane, plane);
  }
  model->train();
  v.loss /= static_cast<double>(count);
  v.psnr /= static_cast<double>(count);
  return v;
}

// True when every gradient of `model` is finite (a missing gradient counts as zero).
bool gradients_finite(GraphModule& model) {
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& p : model->parameters())
    if (p.grad().defined() && !torch::isfinite(p.grad()).all().item<bool>()) return false;
  return true;
}

// Test hook: DAE_TEST_NONFINITE_GRADIENT=STEP or STEP:RANK makes that global optimizer step's gradient NaN on every
// rank or on RANK only, after the backward pass, as a bad batch or a numerical blow-up would (the loss stays finite).
// Returns the step, or -1 when the variable is unset or names another rank.
int64_t poisoned_step(int rank) {
  const char* v = std::getenv("DAE_TEST_NONFINITE_GRADIENT");
  if (!v || !*v) return -1;
  const std::string text = v;
  const size_t colon = text.find(':');
  if (colon != std::string::npos && std::stoi(text.substr(colon + 1)) != rank) return -1;
  return std::stoll(text.substr(0, colon));
}

// What the group agreed on in a step's all-reduce.
struct StepSum {
  double loss = 0;          // the global batch's mean loss
  bool stop = false;        // some rank asked to stop (Ctrl-C)
  int nonfinite_ranks = 0;  // ranks whose own gradients were NaN or infinite
};

// Sums every rank's gradients, each first weighted by the rank's share of the global batch, so the sum is the
// gradient of the global batch's mean loss however the rows were split (a rank may get fewer, or none, in an
// epoch's last batch). The step's loss, any rank's stop request and whether its gradients were finite travel in the
// same buckets, so every rank learns the same.
StepSum sum_gradients(Collectives& group, GraphModule& model, int64_t rows, int64_t global_rows, double loss, bool stop,
                      bool gradients_ok, const std::string& what) {
  torch::NoGradGuard no_grad;
  const double share = double(rows) / double(global_rows);
  std::vector<torch::Tensor> tensors;
  for (torch::Tensor& p : model->parameters()) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    p.mutable_grad().mul_(share);
    tensors.push_back(p.grad());
  }
  const torch::Device device = tensors.front().device();
  torch::Tensor stats =
      torch::tensor({static_cast<float>(rows > 0 ? loss * share : 0.0), stop ? 1.0f : 0.0f, gradients_ok ? 0.0f : 1.0f},
                    torch::TensorOptions(device));
  tensors.push_back(stats);
  allreduce_sum_bucketed(group, tensors, kBucketBytes, what);
  stats = stats.cpu();
  return {stats[0].item<float>(), stats[1].item<float>() > 0, static_cast<int>(stats[2].item<float>() + 0.5f)};
}

// The options every rank of a group must share: the checkpoint's fingerprint and what decides how the run starts.
std::string group_fingerprint(const TrainOptions& o) {
  std::ostringstream s;
  s << fingerprint(o) << " resume=" << (o.resume ? 1 : 0) << " init=" << o.init_from
    << " stop-after-steps=" << o.stop_after_steps;
  return s.str();
}

// The "key=value" words of `mine` that `theirs` does not have, as "lr=0.005 here, lr=0.002 on rank 0".
std::string option_differences(const std::string& mine, const std::string& theirs) {
  std::istringstream a(mine), b(theirs);
  std::vector<std::string> wa{std::istream_iterator<std::string>(a), {}}, wb{std::istream_iterator<std::string>(b), {}};
  std::string here, there;
  for (const std::string& w : wa)
    if (std::find(wb.begin(), wb.end(), w) == wb.end()) here += (here.empty() ? "" : " ") + w;
  for (const std::string& w : wb)
    if (std::find(wa.begin(), wa.end(), w) == wa.end()) there += (there.empty() ? "" : " ") + w;
  return here + " here, " + there + " on rank 0";
}

// Every rank compares its options with rank 0's and all of them learn who differs, so a rank started with another
// --lr (or batch, model, noise...) stops the run at once instead of training something else in silence.
void compare_options(Collectives& group, const TrainOptions& o) {
  const std::string mine = group_fingerprint(o);
  std::string rank0 = mine;
  broadcast_bytes(group, rank0, 0, "the training options");
  torch::Tensor differs = torch::zeros({group.world_size()}, torch::kFloat32);
  differs[group.rank()] = rank0 == mine ? 0.0f : 1.0f;
  group.allreduce_sum(differs, "the training options");
  std::string ranks;
  int count = 0;
  for (int r = 0; r < group.world_size(); ++r)
    if (differs[r].item<float>() > 0) ranks += (count++ ? ", " : "") + std::to_string(r);
  const std::string who = "rank " + std::to_string(group.rank()) + " of " + std::to_string(group.world_size());
  if (rank0 != mine)
    throw std::runtime_error(who + ": this rank's training options differ from rank 0's (" +
                             option_differences(mine, rank0) + "); start every rank with the same train options");
  if (count)
    throw std::runtime_error(who + ": " + (count == 1 ? "rank " : "ranks ") + ranks + (count == 1 ? " was" : " were") +
                             " started with other training options than rank 0 (" + (count == 1 ? "its" : "their") +
                             " own message says which); stopping");
}

// What rank 0 did before the first step (output folder, --init, --resume), shared with the other ranks: whether it
// worked (else every rank throws), its weights and, when resuming, its optimizer state and loop position.
void start_together(Collectives& group, const std::exception_ptr& rank0_error, GraphModule& model, GraphModule* ema,
                    torch::optim::Optimizer& optimizer, LoopState& state, bool resumed) {
  torch::Tensor header = torch::tensor(
      {rank0_error ? 1.0 : 0.0, double(state.epoch), double(state.batch), double(state.loss_count), state.loss_sum},
      torch::kFloat64);
  group.broadcast(header, 0, "the start of the run");
  if (rank0_error) std::rethrow_exception(rank0_error);
  if (header[0].item<double>() != 0)
    throw std::runtime_error("rank " + std::to_string(group.rank()) +
                             ": rank 0 could not start the run (its own message says why)");
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> weights = model->parameters();
  if (ema)
    for (const torch::Tensor& t : (*ema)->parameters()) weights.push_back(t);
  broadcast_bucketed(group, weights, 0, "the starting weights");
  if (!resumed) return;
  std::string bytes;
  if (group.rank() == 0) {
    torch::serialize::OutputArchive archive;
    optimizer.save(archive);
    std::ostringstream out;
    archive.save_to(out);
    bytes = out.str();
  }
  broadcast_bytes(group, bytes, 0, "the optimizer state");
  if (group.rank() != 0) {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    optimizer.load(archive);
    state.epoch = static_cast<int>(header[1].item<double>());
    state.batch = static_cast<int64_t>(header[2].item<double>());
    state.loss_count = static_cast<int64_t>(header[3].item<double>());
    state.loss_sum = header[4].item<double>();
  }
}

std::string history_json(const std::vector<EpochStats>& history) {
  nlohmann::json j = nlohmann::json::array();
  for (const EpochStats& e : history)
    j.push_back({{"epoch", e.epoch},
                 {"train_loss", e.train_loss},
                 {"val_loss", e.val_loss},
                 {"val_psnr", e.val_psnr},
                 {"seconds", e.seconds},
                 {"images_per_second", e.images_per_second}});
  return j.dump();
}

}  // namespace

std::string checkpoint_fingerprint(const TrainOptions& options) {
  return fingerprint(options);
}

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

int64_t global_batch(const TrainOptions& o) {
  return int64_t(o.batch) * std::max(1, o.world_size);
}

std::string sigma_string(float lo, float hi) {
  char buf[64];
  if (lo == hi)
    std::snprintf(buf, sizeof buf, "%g", lo);
  else
    std::snprintf(buf, sizeof buf, "%g-%g", lo, hi);
  return buf;
}

std::string checkpoint_path(const TrainOptions& o) {
  return o.out_dir + "/" + o.model + ".ckpt";
}

namespace {

void check_options(const TrainOptions& o, const Collectives* group) {
  if (o.epochs < 1 || o.batch < 1 || !(o.lr > 0))
    throw std::runtime_error("--epochs, --batch and --lr must be positive");
  if (!is_known_loss(o.loss)) throw std::runtime_error("--loss must be mse, bce, l1 or l1-mse");
  if (!(o.ema >= 0 && o.ema < 1)) throw std::runtime_error("--ema must be in [0, 1)");
  if (o.warmup < 0) throw std::runtime_error("--warmup must not be negative");
  if ((group ? group->world_size() : 1) != o.world_size || (group ? group->rank() : 0) != o.rank)
    throw std::runtime_error("train: the options say rank " + std::to_string(o.rank) + " of " +
                             std::to_string(o.world_size) + ", the process group does not");
}

// The model named by the options, refused when it cannot train on this data with this loss.
GraphModule model_for(const TrainOptions& o, const TrainingData& data) {
  GraphModule model = make_model(o.model);
  if (model->arch().channels != data.channels)
    throw std::runtime_error("model '" + o.model + "' has " + std::to_string(model->arch().channels) +
                             " channel(s) but the training data has " + std::to_string(data.channels) +
                             (data.channels == 1 ? " (train color models on an image folder: --images DIR)" : ""));
  if (o.loss == "bce" && model->arch().nodes.back().act != Act::Sigmoid)
    throw std::runtime_error("--loss bce needs a model whose output ends in a sigmoid; '" + o.model +
                             "' does not (use --loss mse)");
  return model;
}

// What a model file written by this run records about how it was made.
std::map<std::string, std::string> training_metadata(const TrainOptions& o, const TrainingData& data,
                                                     const std::map<std::string, std::string>& init_metadata,
                                                     const std::vector<EpochStats>& history) {
  std::map<std::string, std::string> extra = {
      {"dae.train_command", o.command},
      {"dae.sigma_train", sigma_string(o.sigma_lo, o.sigma_hi)},
      {"dae.noise_train", noise_list_string(o.noise)},
      {"dae.loss", o.loss},
      {"dae.recipe", recipe_string(o)},
      {"dae.epochs", std::to_string(history.size()) + "/" + std::to_string(o.epochs)},
      {"dae.seed", std::to_string(o.seed)},
      {"dae.train_images", std::to_string(data.per_epoch)},
      {"dae.train_data", data.description},
      {"dae.symmetries", std::to_string(data.symmetries)},
      {"dae.history", history_json(history)}};
  if (uses_camera(o)) extra["dae.camera_train"] = sigma_string(o.camera_lo, o.camera_hi);
  if (!o.init_from.empty()) {
    // A fine-tuned model records where its starting weights came from and how those were trained.
    extra["dae.init_from"] = o.init_from;
    for (const char* k : {"dae.train_command", "dae.epochs", "dae.history", "dae.sigma_train"})
      if (init_metadata.count(k)) extra[std::string("dae.init.") + (k + 4)] = init_metadata.at(k);
  }
  return extra;
}

// One call of train(): the models, the optimizer and the loop position, and the steps of the run.
class TrainingRun {
 public:
  TrainingRun(const TrainOptions& o, const TrainingData& data, Collectives* group)
      : o_(o),
        data_(data),
        group_(group),
        device_(o.device),
        writer_(o.rank == 0),
        talk_(writer_ && !o.quiet),
        tty_(isatty(fileno(stderr))),
        step_images_(global_batch(o)),
        steps_per_epoch_((data.per_epoch + step_images_ - 1) / step_images_),
        total_steps_(steps_per_epoch_ * o.epochs),
        poisoned_step_(poisoned_step(o.rank)),
        snapshots_(snapshots_path_for(o.out_dir + "/" + o.model + ".safetensors"),
                   snapshot_steps(total_steps_, o.snapshots), steps_per_epoch_) {
    result_.checkpoint_path = checkpoint_path(o);
    result_.model_path = o.out_dir + "/" + o.model + ".safetensors";
    if (o.snapshots > 0) result_.snapshots_path = snapshots_.path();
    state_.fingerprint = fingerprint(o);
  }

  TrainResult run() {
    set_up();
    for (; state_.epoch < o_.epochs; next_epoch()) {
      for (; state_.batch < steps_per_epoch_; ++state_.batch) {
        if (writer_) snapshot_if_due(state_.epoch * steps_per_epoch_ + state_.batch);
        if (should_stop()) return stop_here();
        step();
      }
      if (writer_) end_epoch();
    }
    return finish();
  }

 private:
  GraphModule* ema_or_null() { return o_.ema > 0 ? &ema_ : nullptr; }
  // With --ema the averaged weights are validated, checkpointed beside the raw ones and exported.
  GraphModule& exported() { return o_.ema > 0 ? ema_ : model_; }

  // Rank 0's start-up work may fail (an unwritable folder, a missing file): the other ranks learn it from
  // start_together instead of waiting for it.
  void on_writer(const std::function<void()>& work) {
    if (!writer_ || start_error_) return;
    try {
      work();
    } catch (...) {
      start_error_ = std::current_exception();
    }
  }

  // The models (from --init's weights or random ones), the optimizer, and with --resume the checkpoint's state.
  void set_up() {
    if (group_) compare_options(*group_, o_);
    torch::manual_seed(o_.seed);
    model_ = model_for(o_, data_);
    on_writer([&] {
      std::filesystem::create_directories(o_.out_dir);
      if (o_.init_from.empty()) return;
      GraphModule init = load_model_file(o_.init_from, &init_metadata_);
      copy_init_weights(*model_, *init, "--init: '" + o_.init_from + "'");
      if (o_.snapshots > 0 && snapshots_.continue_from(o_.init_from, model_->arch()) && talk_)
        std::fprintf(stderr, "--snapshots: continuing the history of %s (%zu snapshots)\n", o_.init_from.c_str(),
                     snapshots_.size());
    });
    model_->to(device_);
    model_->train();
    optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(), torch::optim::AdamOptions(o_.lr));
    if (o_.ema > 0) {
      ema_ = make_model(o_.model);
      ema_->to(device_);
      torch::NoGradGuard no_grad;
      auto target = ema_->parameters(), source = model_->parameters();
      for (size_t i = 0; i < target.size(); ++i) target[i].copy_(source[i]);
    }
    if (o_.resume) on_writer([&] { resume(); });
    if (group_)
      start_together(*group_, start_error_, model_, ema_or_null(), *optimizer_, state_, o_.resume);
    else if (start_error_)
      std::rethrow_exception(start_error_);
  }

  void resume() {
    const std::string& path = result_.checkpoint_path;
    if (!std::filesystem::exists(path)) throw std::runtime_error("--resume: no checkpoint at '" + path + "'");
    state_ = load_checkpoint(path, model_, *optimizer_, state_.fingerprint, ema_or_null());
    // The fingerprint matched, but the position is only a number in a file: check it before it indexes anything.
    const bool at_end = state_.epoch == o_.epochs && state_.batch == 0;
    if (state_.epoch < 0 || state_.epoch > o_.epochs || state_.batch < 0 ||
        (!at_end && state_.batch >= steps_per_epoch_) || state_.history.size() > size_t(std::max(state_.epoch, 0)))
      throw std::runtime_error("checkpoint '" + path + "' is damaged: it says epoch " +
                               std::to_string(state_.epoch + 1) + ", batch " + std::to_string(state_.batch) + " of " +
                               std::to_string(o_.epochs) + " epochs x " + std::to_string(steps_per_epoch_) +
                               " batches, with " + std::to_string(state_.history.size()) +
                               " finished epochs; delete it to start over");
    if (o_.snapshots > 0) snapshots_.resume(state_.epoch * steps_per_epoch_ + state_.batch);
    if (talk_)
      std::fprintf(stderr, "resuming from %s at epoch %d, batch %lld\n", path.c_str(), state_.epoch + 1,
                   static_cast<long long>(state_.batch));
  }

  // --snapshots: rank 0 keeps the weights validated and exported (the average with --ema) after `step` steps, with
  // the loss on the first training batch and the validation figures.
  void snapshot_if_due(int64_t step) {
    if (o_.snapshots <= 0 || !snapshots_.due(step)) return;
    check_weights("at step " + std::to_string(step));
    GraphModule& m = exported();
    const Validation v = validate_model(m, data_, o_, device_);
    double train_loss = 0;
    {
      torch::NoGradGuard no_grad;
      m->eval();
      auto [clean, noisy] = data_.batch(0, 0);
      train_loss = loss_fn(o_.loss, m->forward(noisy.to(device_)).to(torch::kCPU), clean, step, total_steps_)
                       .item<double>();
      m->train();
    }
    snapshots_.add(step, m, train_loss, v.loss, v.psnr);
  }

  void next_epoch() {
    ++state_.epoch;
    state_.batch = 0, state_.loss_sum = 0, state_.loss_count = 0, state_.seconds = 0;
    comm_seconds_ = step_seconds_ = 0, epoch_steps_ = 0;
  }

  // Ctrl-C (agreed by the whole group, with one) or --stop-after-steps.
  bool should_stop() const {
    return (group_ ? stop_agreed_ : stop_requested().load()) ||
           (o_.stop_after_steps > 0 && steps_this_run_ >= o_.stop_after_steps);
  }

  // Before any file is written: NaN weights must not replace the last good checkpoint or model file.
  void check_weights(const std::string& when) {
    if (weights_finite(*model_) && (o_.ema <= 0 || weights_finite(*ema_))) return;
    throw NonFiniteLoss("the weights became NaN or infinite " + when + "; not writing '" + result_.checkpoint_path +
                        "' or '" + result_.model_path + "': the last good ones are kept. Try a lower --lr.");
  }

  TrainResult stop_here() {
    if (writer_) check_weights("at epoch " + std::to_string(state_.epoch + 1));
    if (writer_) save_checkpoint(result_.checkpoint_path, model_, *optimizer_, state_, ema_or_null());
    if (group_) group_->barrier("the checkpoint at the stop");
    if (talk_)
      std::fprintf(stderr, "%sstopped at epoch %d, batch %lld; checkpoint saved to %s (continue with --resume)\n",
                   tty_ ? "\n" : "", state_.epoch + 1, static_cast<long long>(state_.batch),
                   result_.checkpoint_path.c_str());
    result_.history = state_.history;
    return result_;
  }

  // One optimizer step on batch (state_.epoch, state_.batch): with a group, on this rank's rows of it.
  void step() {
    const auto t0 = Clock::now();
    auto [clean, noisy] = data_.batch(state_.epoch, state_.batch);
    const int64_t batch_size = clean.size(0);
    if (group_) {
      // This rank's rows of the global batch (fewer, or none, in a short last batch).
      const int64_t begin = std::min(batch_size, int64_t(o_.rank) * o_.batch);
      const int64_t end = std::min(batch_size, begin + o_.batch);
      clean = clean.slice(0, begin, end);
      noisy = noisy.slice(0, begin, end);
    }
    const int64_t rows = clean.size(0);
    const int64_t step = state_.epoch * steps_per_epoch_ + state_.batch;
    const double lr = learning_rate(o_, step, total_steps_);
    for (auto& param_group : optimizer_->param_groups())
      static_cast<torch::optim::AdamOptions&>(param_group.options()).lr(lr);
    optimizer_->zero_grad();
    double loss_value = 0;
    if (rows > 0) {
      torch::Tensor out = model_->forward(noisy.to(device_));
      torch::Tensor loss = loss_fn(o_.loss, out, clean.to(device_), step, total_steps_);
      loss_value = loss.item<double>();
      loss.backward();
      if (step == poisoned_step_) {
        torch::NoGradGuard no_grad;
        model_->parameters().front().mutable_grad().view({-1})[0] = std::nan("");
      }
    }
    // A finite loss can still give NaN or infinite gradients; one such step would make every weight NaN.
    bool gradients_ok = gradients_finite(model_);
    int nonfinite_ranks = gradients_ok ? 0 : 1;
    if (group_) {
      const auto c0 = Clock::now();
      const StepSum sum =
          sum_gradients(*group_, model_, rows, batch_size, loss_value, stop_requested(), gradients_ok,
                        "epoch " + std::to_string(state_.epoch + 1) + ", batch " + std::to_string(state_.batch));
      loss_value = sum.loss, stop_agreed_ = sum.stop, nonfinite_ranks = sum.nonfinite_ranks;
      // The summed gradients are the same on every rank, so this check agrees too (a sum can overflow).
      gradients_ok = nonfinite_ranks == 0 && gradients_finite(model_);
      comm_seconds_ += seconds_since(c0);
    }
    const std::string where =
        "at epoch " + std::to_string(state_.epoch + 1) + ", batch " + std::to_string(state_.batch);
    if (!std::isfinite(loss_value))
      throw NonFiniteLoss("the loss became " + std::to_string(loss_value) + " " + where +
                          "; stopping. The last good checkpoint is kept at '" + result_.checkpoint_path +
                          "'. Try a lower --lr.");
    if (!gradients_ok)
      throw NonFiniteLoss(
          "the gradients became NaN or infinite " + where +
          (group_ ? " (on " + std::to_string(nonfinite_ranks) + " of " + std::to_string(o_.world_size) + " ranks)"
                  : std::string()) +
          " while the loss was " + std::to_string(loss_value) +
          "; stopping before the optimizer step. The last good checkpoint is kept at '" + result_.checkpoint_path +
          "'. Try a lower --lr, or look for a broken image in the training data.");
    optimizer_->step();
    if (o_.ema > 0) update_ema(ema_, model_, o_.ema, step);
    ++steps_this_run_;
    state_.loss_sum += loss_value * double(batch_size);
    state_.loss_count += batch_size;
    state_.seconds += seconds_since(t0);
    step_seconds_ += seconds_since(t0);
    ++epoch_steps_;
    images_this_run_ += batch_size;
    if (talk_ && seconds_since(last_progress_) >= kProgressInterval) report_progress(step);
  }

  void report_progress(int64_t step) {
    last_progress_ = Clock::now();
    const double ips = double(images_this_run_) / seconds_since(run_start_);
    const double remaining = double((total_steps_ - step - 1) * step_images_) / ips;
    std::fprintf(stderr, "%sepoch %d/%d  batch %lld/%lld  loss %.5f  %.0f img/s  ETA %s%s", tty_ ? "\r" : "",
                 state_.epoch + 1, o_.epochs, static_cast<long long>(state_.batch + 1),
                 static_cast<long long>(steps_per_epoch_), state_.loss_sum / double(state_.loss_count), ips,
                 format_duration(remaining).c_str(), tty_ ? "   " : "\n");
  }

  // Rank 0 at the end of an epoch: validation, the epoch's line, the checkpoint and the model file.
  void end_epoch() {
    check_weights("in epoch " + std::to_string(state_.epoch + 1));
    const Validation v = validate_model(exported(), data_, o_, device_);
    EpochStats e{state_.epoch + 1, state_.loss_sum / double(std::max<int64_t>(state_.loss_count, 1)), v.loss, v.psnr,
                 state_.seconds,   double(state_.loss_count) / std::max(state_.seconds, 1e-9)};
    state_.history.push_back(e);
    if (talk_) {
      std::fprintf(stderr, "%sepoch %d/%d  train loss %.5f  val loss %.5f  val PSNR %.2f dB  %.0f img/s  %.0f s\n",
                   tty_ ? "\r" : "", e.epoch, o_.epochs, e.train_loss, e.val_loss, e.val_psnr, e.images_per_second,
                   e.seconds);
      if (group_ && step_seconds_ > 0)
        std::fprintf(stderr, "epoch %d/%d  all-reduce %.2f ms per step, %.1f%% of the step time (rank 0)\n", e.epoch,
                     o_.epochs, 1e3 * comm_seconds_ / double(epoch_steps_), 100.0 * comm_seconds_ / step_seconds_);
    }
    LoopState next = state_;
    next.epoch = state_.epoch + 1;
    next.batch = 0, next.loss_sum = 0, next.loss_count = 0, next.seconds = 0;
    save_checkpoint(result_.checkpoint_path, model_, *optimizer_, next, ema_or_null());
    // The model file follows every epoch, so a usable model exists long before a long run ends.
    write_model();
  }

  void write_model() {
    write_model_file(result_.model_path, exported(), training_metadata(o_, data_, init_metadata_, state_.history));
  }

  TrainResult finish() {
    result_.history = state_.history;
    result_.finished = true;
    if (writer_) {
      check_weights("at the end of the run");
      snapshot_if_due(total_steps_);
      exported()->to(torch::kCPU);
      exported()->eval();
      write_model();
      if (o_.export_onnx && onnx_export_available())
        write_onnx(o_.out_dir + "/" + o_.model + ".onnx", exported());
      else if (o_.export_onnx && !o_.quiet)
        std::fprintf(stderr,
                     "no ONNX file: this build has no ONNX export (dae-train export --from %s --onnx OUT on one "
                     "that has)\n",
                     result_.model_path.c_str());
      if (!o_.quiet) std::fprintf(stderr, "wrote %s\n", result_.model_path.c_str());
    }
    // The other ranks wait for rank 0's files, so a finished group means finished files.
    if (group_) group_->barrier("the end of the run");
    return result_;
  }

  const TrainOptions& o_;
  const TrainingData& data_;
  Collectives* const group_;
  const torch::Device device_;
  // Rank 0 validates and writes every file; the other ranks only train.
  const bool writer_, talk_, tty_;
  const int64_t step_images_, steps_per_epoch_, total_steps_;
  const int64_t poisoned_step_;  // DAE_TEST_NONFINITE_GRADIENT's step for this rank, or -1
  SnapshotHistory snapshots_;    // --snapshots (rank 0)

  GraphModule model_{nullptr}, ema_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::map<std::string, std::string> init_metadata_;  // the --init file's metadata
  std::exception_ptr start_error_;
  LoopState state_;
  TrainResult result_;

  int64_t steps_this_run_ = 0, images_this_run_ = 0;
  const Clock::time_point run_start_ = Clock::now();
  Clock::time_point last_progress_ = Clock::now();
  // With a group: whether some rank asked to stop (Ctrl-C) during the last step, agreed through its all-reduce so
  // that every rank stops at the same step; and this epoch's time in the all-reduce against its step time.
  bool stop_agreed_ = false;
  double comm_seconds_ = 0, step_seconds_ = 0;
  int64_t epoch_steps_ = 0;
};

}  // namespace

TrainResult train(const TrainOptions& o, const TrainingData& data, Collectives* group) {
  check_options(o, group);
  return TrainingRun(o, data, group).run();
}

}  // namespace dae::trainer
