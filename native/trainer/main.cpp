// dae-train: command-line front end of the trainer (train, launch, evaluate, export, manifest, bench).
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "bench.h"
#include "dae/arch.h"
#include "distributed.h"
#include "evaluate.h"
#include "evaluate_photos.h"
#include "export_onnx.h"
#include "export_safetensors.h"
#include "train.h"

namespace {

using namespace dae::trainer;

// Exit code for a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
constexpr int kExitInterrupted = 130;
// Exit code when the loss became NaN or infinite.
constexpr int kExitNonFinite = 3;
// Exit code when another rank of a multi-process run died or stalled, or the group could not be formed.
constexpr int kExitPeerLost = 4;

// glibc would hand big tensors back to the kernel after every batch and fault them in again; keeping them mapped
// made batch times several times faster and steady on the 2-core machines this runs on.
void tune_malloc() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);
}

void on_sigint(int) {
  stop_requested() = true;
  // A second Ctrl-C kills the process the usual way.
  std::signal(SIGINT, SIG_DFL);
}

void set_threads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
}

std::string resolve_device(const std::string& device) {
  if (device == "auto") return torch::cuda::is_available() ? "cuda" : "cpu";
  if (device == "cuda" && !torch::cuda::is_available())
    throw std::runtime_error("--device cuda: this LibTorch build sees no CUDA device (build dae-train against a CUDA "
                             "LibTorch: native/trainer/build-cuda.sh)");
  // Patch batches keep one shape, so cuDNN's search for the fastest convolution pays for itself at once.
  if (device == "cuda") at::globalContext().setBenchmarkCuDNN(true);
  return device;
}

// Per-model defaults: the seed model keeps the seed notebook's recipe.
void apply_model_defaults(TrainOptions& o, bool has_loss, bool has_lr, bool has_batch, bool has_epochs) {
  if (o.model == "seed") {
    if (!has_loss) o.loss = "bce";
    if (!has_batch) o.batch = 200;
  } else if (o.model == "unet") {
    if (!has_lr) o.lr = 2e-3;
  }
  if (!has_epochs) o.epochs = 10;
}

// A CUDA rank's GPU: LOCAL_RANK (set by `dae-train launch` and other launchers) or the rank, modulo the GPUs.
std::string rank_device(const std::string& device, int rank) {
  if (device != "cuda") return device;
  const char* local = std::getenv("LOCAL_RANK");
  const int index = local && *local ? std::atoi(local) : rank;
  return "cuda:" + std::to_string(index % std::max<int>(1, static_cast<int>(torch::cuda::device_count())));
}

std::string join_args(int argc, char** argv) {
  std::string s = "dae-train";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

// The global options, the Fashion-MNIST folder (several subcommands take --data) and the command line.
struct Common {
  int threads = 0;
  std::string device = "auto";
  std::string data_dir = kDefaultDataDir;
  std::string command;  // the command line, recorded in the files written
};

// `train`: one process, or one rank of a group (distributed.h).
struct TrainCommand {
  TrainOptions t;
  DistOptions dist;
  std::vector<float> sigma_range, camera_range;
  float sigma = 0.3f;
  std::string noise = "gaussian", golden_path;
  CLI::App* cmd = nullptr;
  CLI::Option *epochs_opt = nullptr, *batch_opt = nullptr, *lr_opt = nullptr, *val_opt = nullptr,
              *range_opt = nullptr, *loss_opt = nullptr;

  void add_to(CLI::App& app, Common& common) {
    cmd = app.add_subcommand("train", "train a model and write <out>/<model>.safetensors and .onnx");
    cmd->add_option("--model", t.model,
                    "seed, conv, unet, unet32 (default), photo (RGB, needs --images) or photo-gray "
                    "(unet32's graph, named for gray photos)")
        ->check(CLI::IsMember(dae::builtin_arch_names()));
    cmd->add_option("--data", common.data_dir, "folder with the Fashion-MNIST .gz files");
    cmd->add_option("--out", t.out_dir, "output folder (checkpoint, model files)");
    epochs_opt = cmd->add_option("--epochs", t.epochs, "epochs (default 10)");
    batch_opt = cmd->add_option("--batch", t.batch, "batch size (seed 200, others 128)");
    lr_opt = cmd->add_option("--lr", t.lr, "initial Adam learning rate (unet 2e-3, others 1e-3)");
    cmd->add_option("--limit", t.limit, "use only the first N training images");
    val_opt = cmd->add_option("--val", t.val_count,
                              "validation images from the end of the training file (images: patches, 256)");
    cmd->add_option("--images", t.images_dir,
                    "train on this folder of images (PNG, JPEG, BMP, TGA, GIF) instead of Fashion-MNIST");
    cmd->add_option("--images-max-mb", t.images_max_mb,
                    "--images: refuse a folder that decodes to more than this many MB (images are held as floats, "
                    "12 bytes per RGB pixel, in every process; default 4096)");
    cmd->add_option("--patch", t.patch, "--images: patch side in pixels (default 64)");
    cmd->add_option("--patches", t.patches, "--images: patches per epoch (default 16384)");
    cmd->add_option(
        "--gray-fraction", t.gray_fraction,
        "--images, color models: share of patches made gray photos, noisy as the engine gives them to the model");
    CLI::Option* sigma_opt = cmd->add_option("--sigma", sigma, "noise level for every image");
    range_opt = cmd->add_option("--sigma-range", sigma_range, "LO,HI: per-image noise level drawn uniformly (blind)")
                    ->delimiter(',')
                    ->expected(2);
    sigma_opt->excludes(range_opt);
    cmd->add_option("--noise", noise,
                    "gaussian, salt-pepper, speckle, poisson, camera or camera-jpeg, or a list (gaussian,camera): each "
                    "image gets one of them, its amount (σ or probability) drawn from the σ range, a camera kind's "
                    "from --camera-range");
    cmd->add_option("--camera-range", camera_range,
                    "LO,HI: the camera kinds' amount, drawn uniformly (default 0,0.06; 0.05 is about ISO 10000)")
        ->delimiter(',')
        ->expected(2);
    loss_opt =
        cmd->add_option("--loss", t.loss, "mse, bce (seed's default), l1, or l1-mse (L1 for half the steps, then MSE)")
            ->check(CLI::IsMember({"mse", "bce", "l1", "l1-mse"}));
    cmd->add_option("--ema", t.ema, "keep a moving average of the weights with this decay (e.g. 0.999) and export it");
    cmd->add_option("--warmup", t.warmup, "steps of linear learning-rate warm-up before the cosine decay");
    cmd->add_option("--seed", t.seed, "seed for initial weights, data order and noise");
    cmd->add_flag("--resume", t.resume, "continue from <out>/<model>.ckpt");
    cmd->add_option("--init", t.init_from, "start from this model file's weights (fine-tuning)");
    cmd->add_option("--snapshots", t.snapshots,
                    "keep K copies of the weights at log-spaced steps, with their loss and validation PSNR, in "
                    "<out>/<model>.snapshots.safetensors (continues the history beside --init's model)")
        ->check(CLI::Range(0, 1000));
    cmd->add_option("--stop-after-steps", t.stop_after_steps,
                    "save a checkpoint and stop after N steps, as Ctrl-C would (for tests)");
    cmd->add_option("--golden", golden_path, "also write golden tensors for the engine tests to this file");
    cmd->add_option("--world-size", dist.world_size, "processes training together (default: $WORLD_SIZE, or 1)")
        ->envname("WORLD_SIZE");
    cmd->add_option("--rank", dist.rank, "this process among them, 0 .. world size - 1 (default: $RANK)")
        ->envname("RANK");
    cmd->add_option("--master-addr", dist.master_addr,
                    "host of the TCP rendezvous store, served by rank 0 "
                    "(default: $MASTER_ADDR, or 127.0.0.1)")
        ->envname("MASTER_ADDR");
    cmd->add_option("--master-port", dist.master_port, "its port (default: $MASTER_PORT, or 29500)")
        ->envname("MASTER_PORT");
    cmd->add_option("--store-file", dist.store_file,
                    "meet through this new file on a filesystem every rank sees, instead of the TCP store "
                    "(default: $DAE_STORE_FILE, which launch sets)")
        ->envname(kStoreFileEnv);
    cmd->add_option("--dist-timeout", dist.timeout_s,
                    "seconds a rank waits for the others (joining, each all-reduce) before the run stops (300)");
    cmd->add_option("--backend", dist.backend, "auto, gloo or nccl (auto: NCCL for CUDA ranks where built in)")
        ->check(CLI::IsMember({"auto", "gloo", "nccl"}));
  }

  // The options as given, completed: device, rank, per-model defaults, noise levels and kind.
  std::unique_ptr<Collectives> settle(const Common& common) {
    t.device = resolve_device(common.device);
    std::unique_ptr<Collectives> group;
    // The secret comes from the environment, not the command line, which other users of the machine can read.
    if (const char* secret = std::getenv(kSecretEnv)) dist.secret = secret;
    const char* one_machine = std::getenv(kOneMachineEnv);
    dist.one_machine = one_machine && std::string(one_machine) == "1";
    if (dist.world_size > 1) {
      group = join_group(dist, torch::Device(t.device));
      t.world_size = dist.world_size, t.rank = dist.rank;
      t.device = rank_device(t.device, t.rank);
      if (t.rank != 0) t.quiet = true;
    }
    t.command = common.command;
    apply_model_defaults(t, loss_opt->count() > 0, lr_opt->count() > 0, batch_opt->count() > 0,
                         epochs_opt->count() > 0);
    if (group && t.rank == 0)
      std::fprintf(stderr, "training as %d processes (%s): batch %d each, %lld per step\n", t.world_size,
                   group->description().c_str(), t.batch, static_cast<long long>(global_batch(t)));
    if (range_opt->count()) {
      t.sigma_lo = sigma_range[0], t.sigma_hi = sigma_range[1];
      if (!(t.sigma_lo >= 0 && t.sigma_hi >= t.sigma_lo)) throw std::runtime_error("--sigma-range needs 0 <= LO <= HI");
    } else {
      t.sigma_lo = t.sigma_hi = sigma;
    }
    t.noise = parse_noise_list(noise);
    if (!camera_range.empty()) {
      t.camera_lo = camera_range[0], t.camera_hi = camera_range[1];
      if (!(t.camera_lo >= 0 && t.camera_hi >= t.camera_lo && t.camera_hi <= 0.5f))
        throw std::runtime_error("--camera-range needs 0 <= LO <= HI <= 0.5");
    }
    if (!t.images_dir.empty() && !val_opt->count()) t.val_count = 256;
    return group;
  }

  // An image folder, with its file list written beside the model (rank 0).
  ImageFolder image_folder() const {
    dae::Result<dae::Arch> arch = dae::builtin_arch(t.model);
    if (!arch.ok()) throw std::runtime_error(arch.error());
    if (t.images_max_mb < 1) throw std::runtime_error("--images-max-mb must be at least 1");
    ImageFolder folder = load_image_folder({t.images_dir, arch->channels, t.patch, uint64_t(t.images_max_mb) << 20});
    if (t.rank == 0) {
      for (const std::string& s : folder.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
      std::filesystem::create_directories(t.out_dir);
      write_file_list(t.out_dir + "/" + t.model + ".files.tsv", folder);
      std::fprintf(stderr, "%zu train, %zu val, %zu test images (%zu skipped); file list in %s/%s.files.tsv\n",
                   folder.split("train").size(), folder.split("val").size(), folder.split("test").size(),
                   folder.skipped.size(), t.out_dir.c_str(), t.model.c_str());
    }
    return folder;
  }

  int run(const Common& common) {
    std::unique_ptr<Collectives> group = settle(common);
    std::optional<Dataset> fashion;
    std::optional<ImageFolder> folder;
    TrainingData data;
    if (!t.images_dir.empty()) {
      folder = image_folder();
      data = image_folder_training(*folder, t);
    } else {
      fashion = load_fashion_mnist(common.data_dir);
      data = fashion_mnist_training(*fashion, t);
    }
    std::signal(SIGINT, on_sigint);
    TrainResult r = train(t, data, group.get());
    if (!r.finished) return kExitInterrupted;
    if (!golden_path.empty() && t.rank == 0) {
      GraphModule m = load_model_file(r.model_path);
      write_golden(golden_path, m, fashion ? fashion->test : load_fashion_mnist(common.data_dir).test, t.seed);
    }
    return 0;
  }
};

// `export`: a model file again, as safetensors (F32 or F16, maybe under another built-in name), ONNX or golden.
struct ExportCommand {
  std::string from, onnx_out, model_out, export_as, golden_path, layers_path;
  bool f16 = false, onnx_every_node = false;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app, Common& common) {
    cmd = app.add_subcommand("export", "re-export a model file as safetensors (F32 or F16), ONNX and/or golden tensors");
    cmd->add_option("--from", from, "a model .safetensors file")->required();
    cmd->add_option("--safetensors", model_out, "write the model file here (all metadata kept)");
    cmd->add_flag("--f16", f16, "with --safetensors: store the weights as F16 (half the size)");
    cmd->add_option("--as", export_as,
                    "give the weights this built-in model's name (its graph must be the file's; e.g. a run "
                    "of --model unet32 on photos exported as photo-gray)");
    cmd->add_option("--onnx", onnx_out, "write the ONNX file here");
    cmd->add_option("--golden", golden_path, "write golden tensors here");
    cmd->add_flag("--onnx-every-node", onnx_every_node,
                  "with --onnx: every node's output is a graph output too, under the node's name");
    cmd->add_option("--layers", layers_path,
                    "write the engine's output at every node for a noisy test image here (to compare with "
                    "--onnx-every-node's outputs)");
    cmd->add_option("--data", common.data_dir, "folder with the Fashion-MNIST .gz files");
  }

  // The model's weights under export_as's name and graph.
  static GraphModule renamed(const GraphModule& m, const std::string& as, const std::string& from,
                             std::map<std::string, std::string>& meta) {
    GraphModule r = make_model(as);
    if (r->arch().channels != m->arch().channels)
      throw std::runtime_error("--as " + as + ": '" + from + "' has " + std::to_string(m->arch().channels) +
                               " channel(s), '" + as + "' " + std::to_string(r->arch().channels));
    copy_init_weights(*r, *m, "--as " + as + ": '" + from + "'");
    if (r->arch().name != m->arch().name) meta["dae.exported_from_model"] = m->arch().name;
    return r;
  }

  int run(const Common& common) {
    if (f16 && model_out.empty()) throw std::runtime_error("--f16 needs --safetensors OUT");
    std::map<std::string, std::string> meta;
    GraphModule m = load_model_file(from, &meta);
    if (!export_as.empty()) m = renamed(m, export_as, from, meta);
    if (!model_out.empty()) {
      if (f16) meta["dae.weights"] = "F16, rounded from F32";
      write_model_file(model_out, m, meta, f16 ? StoreAs::F16 : StoreAs::F32);
      // Everything below uses the weights as stored, so the ONNX file and golden tensors match the file.
      m = load_model_file(model_out);
    }
    if (!onnx_out.empty()) write_onnx(onnx_out, m, onnx_every_node);
    if (!golden_path.empty() || !layers_path.empty()) {
      const Split test = load_fashion_mnist(common.data_dir).test;
      if (!golden_path.empty()) write_golden(golden_path, m, test, 1);
      if (!layers_path.empty()) write_layer_outputs(layers_path, model_out.empty() ? from : model_out, test, 1);
    }
    return 0;
  }
};

bool same_path(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

// `evaluate` and `manifest`: the quality report of a models folder, and the manifest the page reads from it.
struct ReportCommands {
  EvalOptions e;
  CLI::App *eval_cmd = nullptr, *manifest_cmd = nullptr;

  void add_to(CLI::App& app, Common& common) {
    eval_cmd = app.add_subcommand("evaluate", "quality report for every model in a folder (engine)");
    eval_cmd->add_option("--models", e.models_dir, "folder with <name>.safetensors files");
    eval_cmd->add_option("--out", e.out_dir,
                         "report folder (report.json, REPORT.md, PNGs); when it is <models>/report, "
                         "<models>/models.json follows it");
    eval_cmd->add_option("--data", common.data_dir, "folder with the Fashion-MNIST .gz files");
    eval_cmd->add_option("--limit", e.limit, "use only the first N test images");
    eval_cmd->add_option("--seed", e.seed, "noise seed");

    manifest_cmd = app.add_subcommand("manifest", "write <models>/models.json from the files and report");
    manifest_cmd->add_option("--models", e.models_dir, "folder with <name>.safetensors files");
    manifest_cmd->add_option("--report", e.out_dir, "report folder holding report.json");
  }

  bool parsed() const { return eval_cmd->parsed() || manifest_cmd->parsed(); }

  int run(const Common& common) {
    if (manifest_cmd->parsed()) {
      write_manifest(e.models_dir, e.out_dir);
      return 0;
    }
    evaluate_models(e, load_fashion_mnist(common.data_dir).test);
    // A report written elsewhere (a trial, a subset) leaves the folder's manifest, which the page reads, alone.
    if (same_path(e.out_dir, e.models_dir + "/report"))
      write_manifest(e.models_dir, e.out_dir);
    else
      std::fprintf(stderr, "%s/models.json left as it was (dae-train manifest --models %s --report %s writes it)\n",
                   e.models_dir.c_str(), e.models_dir.c_str(), e.out_dir.c_str());
    return 0;
  }
};

struct LaunchCommand {
  int nproc = 0;
  std::vector<std::string> args;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app) {
    cmd = app.add_subcommand(
        "launch", "start N ranks of one training on this machine: dae-train launch --nproc N -- [--threads T] train ...");
    cmd->add_option("--nproc", nproc, "ranks to start")->required();
    cmd->add_option("args", args, "the dae-train arguments of every rank, after --");
  }
};

struct BenchCommand {
  BenchOptions b;
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app, Common& common) {
    cmd = app.add_subcommand("bench", "training and inference images/s per model");
    cmd->add_option("--models", b.models, "models to measure")->delimiter(',');
    cmd->add_option("--data", common.data_dir, "folder with the Fashion-MNIST .gz files");
    cmd->add_option("--batch", b.batch, "training batch");
    cmd->add_option("--seconds", b.seconds, "seconds per measurement");
    cmd->add_option("--json", b.json_path, "also write the results as JSON");
  }

  int run(const Common& common) {
    b.device = resolve_device(common.device);
    b.threads = common.threads > 0 ? common.threads : torch::get_num_threads();
    run_bench(b, load_fashion_mnist(common.data_dir));
    return 0;
  }
};

// `evaluate-photos`: the photo quality table (evaluate_photos.h).
struct PhotosCommand {
  PhotoEvalOptions photos;
  std::string noise = "gaussian";
  CLI::App* cmd = nullptr;

  void add_to(CLI::App& app) {
    cmd = app.add_subcommand("evaluate-photos",
                             "photo quality table, gray and color: blur, median, non-local means peer, models (engine)");
    cmd->add_option("--photos", photos.photos_dir, "folder of test photos (default build/photoset/test)");
    cmd->add_option("--models", photos.models_dir, "folder with <name>.safetensors files (may hold none)");
    cmd->add_option("--model-names", photos.model_names, "only these models (default: all)")->delimiter(',');
    cmd->add_option("--out", photos.out_dir, "report folder (photos.json, PHOTOS.md, photos-samples.png)");
    cmd->add_option("--peers", photos.peer_dirs, "folders of peer outputs from native/bench/nlm_peer.py");
    cmd->add_option("--write-noisy", photos.write_noisy_dir, "only write the noisy inputs here, for a peer");
    cmd->add_option("--crop", photos.crop, "center crops of at most N x N pixels (default 512, 0 = whole)");
    cmd->add_option("--limit", photos.limit, "use only the first N photos (by file name)");
    cmd->add_option("--sigmas", photos.sigmas, "noise levels (default 0.05,0.1,0.2,0.3): σ, or p for salt-pepper")
        ->delimiter(',');
    cmd->add_option("--noise", noise,
                    "gaussian (default), salt-pepper, speckle, poisson, camera or camera-jpeg (JPEG quality 90)");
    cmd->add_option("--seed", photos.seed, "noise seed");
    cmd->add_option("--ensemble", photos.ensemble, "models averaged over 1, 2, 4 or 8 mirrors and turns")
        ->check(CLI::IsMember({1, 2, 4, 8}));
  }

  int run(const Common& common) {
    photos.threads = common.threads;  // photos processed at once (0 = one per core)
    photos.command = common.command;
    dae::Result<dae::NoiseKind> kind = dae::parse_noise_kind(noise);
    if (!kind.ok()) throw std::runtime_error("--noise: " + kind.error());
    photos.noise = *kind;
    return evaluate_photos(photos);
  }
};

}  // namespace

int main(int argc, char** argv) {
  tune_malloc();
  // A rank that dies leaves its peers writing to a closed socket: the write's SIGPIPE would end them on the spot (exit
  // 141, no message) instead of letting Gloo's error become the peer-lost message and exit status.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"Denoising autoencoder trainer: trains on Fashion-MNIST and writes model files for the engine"};
  app.require_subcommand(1);
  app.footer(R"(Examples:
  dae-train --threads 2 train --model unet32 --sigma-range 0,0.5 --out build/train/unet32
  dae-train train --model seed --sigma 0.3 --out build/train/seed          # the seed notebook's recipe
  dae-train train --model unet32 --sigma-range 0,0.5 --out build/train/unet32 --resume
  dae-train launch --nproc 2 -- --threads 1 train --model unet32 --batch 64 --out build/train/unet32   # 2 ranks
  dae-train export --from build/train/unet32/unet32.safetensors --safetensors web/models/unet32.safetensors --f16 \
      --onnx web/models/unet32.onnx --golden tests/data/golden/unet32.safetensors
  dae-train --threads 1 evaluate --models web/models --out web/models/report
  dae-train --threads 1 bench --json build/bench.json
Subcommands have their own --help, e.g. dae-train train --help.)");
  Common common;
  common.command = join_args(argc, argv);
  app.add_option("--threads", common.threads, "CPU threads for LibTorch (0 = LibTorch's default)");
  app.add_option("--device", common.device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  TrainCommand train_cmd;
  train_cmd.add_to(app, common);
  LaunchCommand launch_cmd;
  launch_cmd.add_to(app);
  ExportCommand export_cmd;
  export_cmd.add_to(app, common);
  ReportCommands report_cmds;
  report_cmds.add_to(app, common);
  BenchCommand bench_cmd;
  bench_cmd.add_to(app, common);
  PhotosCommand photos_cmd;
  photos_cmd.add_to(app);

  CLI11_PARSE(app, argc, argv);
  // --threads is the photos processed at once there, not LibTorch's threads; it reports its own errors.
  if (photos_cmd.cmd->parsed()) return photos_cmd.run(common);
  try {
    set_threads(common.threads);
    if (launch_cmd.cmd->parsed()) return launch_local(launch_cmd.nproc, launch_cmd.args);
    if (train_cmd.cmd->parsed()) return train_cmd.run(common);
    if (export_cmd.cmd->parsed()) return export_cmd.run(common);
    if (report_cmds.parsed()) return report_cmds.run(common);
    if (bench_cmd.cmd->parsed()) return bench_cmd.run(common);
  } catch (const PeerLost& err) {
    std::fprintf(stderr, "\nerror: %s\n", err.what());
    return kExitPeerLost;
  } catch (const NonFiniteLoss& err) {
    std::fprintf(stderr, "\nerror: %s\n", err.what());
    return kExitNonFinite;
  } catch (const std::exception& err) {
    std::fprintf(stderr, "error: %s\n", err.what());
    return 1;
  }
  return 0;
}
