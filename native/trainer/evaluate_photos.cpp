// The photo quality report: center crops of the test photos, seeded Gaussian noise per σ, and in grayscale and color
// the noisy input, the best Gaussian blur and median filter, peer outputs (non-local means) and every model run
// through dae::denoise, all scored with dae/metrics.h.
#include "evaluate_photos.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "dae/arch.h"
#include "dae/channels.h"
#include "dae/engine.h"
#include "dae/file.h"
#include "dae/metrics.h"
#include "dae/noise.h"
#include "evaluate.h"
#include "export_safetensors.h"
#include "image.h"
#include "photo_report.h"
#include "plot.h"

namespace dae::trainer {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Candidate parameters for the classical baselines; the best per σ and mode (mean PSNR over the photos) is reported.
const float kBlurSigmas[] = {0.3f, 0.4f, 0.5f, 0.7f, 0.9f, 1.1f, 1.4f, 1.8f, 2.4f, 3.0f};
const int kMedianRadii[] = {1, 2, 3, 4};
const char* const kModes[] = {"gray", "color"};
// The sample strip: a few photos at one noise level, a small center crop each, enlarged.
constexpr float kSampleSigma = 0.2f;
constexpr int kSamplePhotos = 3, kSampleSide = 128, kSampleZoom = 2;

std::string sigma_key(float s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

uint64_t fnv1a(const void* data, size_t bytes, uint64_t h = 0xcbf29ce484222325ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

// Identifies a noisy input exactly, so peer outputs made from other inputs are refused.
std::string fingerprint(const std::vector<float>& v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a(v.data(), v.size() * sizeof(float))));
  return buf;
}

struct Photo {
  std::string name;  // file name without extension
  int src_w = 0, src_h = 0;
  image::Image color, gray;
};

image::Image center_crop(const image::Image& img, int side) {
  if (side <= 0 || (img.w <= side && img.h <= side)) return img;
  image::Image out;
  out.w = std::min(img.w, side), out.h = std::min(img.h, side), out.channels = img.channels;
  out.data.resize(out.plane() * out.channels);
  const int x0 = (img.w - out.w) / 2, y0 = (img.h - out.h) / 2;
  for (int c = 0; c < img.channels; ++c)
    for (int y = 0; y < out.h; ++y)
      std::copy_n(img.channel(c) + size_t(y0 + y) * img.w + x0, out.w, out.channel(c) + size_t(y) * out.w);
  return out;
}

std::vector<Photo> load_photos(const PhotoEvalOptions& o) {
  if (!fs::is_directory(o.photos_dir))
    throw std::runtime_error("no photo folder '" + o.photos_dir + "' (make photoset builds build/photoset/test)");
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(o.photos_dir)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp"))
      paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  if (o.limit > 0 && paths.size() > size_t(o.limit)) paths.resize(o.limit);
  if (paths.empty()) throw std::runtime_error("no images in '" + o.photos_dir + "'");
  std::vector<Photo> photos;
  for (const fs::path& p : paths) {
    Result<image::Image> img = image::load(p.string(), 3);
    if (!img.ok()) throw std::runtime_error(img.error());
    Photo photo{p.stem().string(), img->w, img->h, center_crop(*img, o.crop), {}};
    photo.gray = image::to_channels(photo.color, 1);
    photos.push_back(std::move(photo));
  }
  return photos;
}

const image::Image& clean_of(const Photo& p, const std::string& mode) {
  return mode == "gray" ? p.gray : p.color;
}

// What the report says of each kind of noise, with the name of its level.
std::string noise_formula(NoiseKind kind) {
  switch (kind) {
    case NoiseKind::Gaussian: return "gaussian, x + sigma*N(0,1) clipped to [0, 1], sigma on the [0, 1] pixel scale";
    case NoiseKind::SaltPepper: return "salt-pepper, each value set to 0 or 1 (equally likely) with probability p";
    case NoiseKind::Speckle: return "speckle, x + sigma*x*N(0,1) clipped to [0, 1]";
    case NoiseKind::Poisson: return "poisson, Poisson(x/sigma^2)*sigma^2 clipped to [0, 1]";
    case NoiseKind::Camera:
      return "camera, shot noise 4a^2*x plus read noise on an RGGB mosaic in linear light, bilinear demosaic, white "
             "balance, sRGB, 8-bit (dae camera_noise.cpp); gray photos are the luma of the color result";
    case NoiseKind::CameraJpeg: return "camera-jpeg, camera noise then a JPEG round trip at quality 90 (4:2:0)";
  }
  return "?";
}

// The noise of one (mode, σ, photo) depends only on those, the kind and the seed, so --limit and peers see the same
// inputs. Gaussian keys carry no kind, as before other kinds could be asked for.
std::vector<float> make_noisy(const Photo& p, const std::string& mode, float sigma, const PhotoEvalOptions& o) {
  const image::Image& clean = clean_of(p, mode);
  const std::string kind = o.noise == NoiseKind::Gaussian ? "" : std::string(noise_name(o.noise)) + "/";
  const std::string key = kind + mode + "/" + sigma_key(sigma) + "/" + p.name;
  Rng rng(o.seed ^ fnv1a(key.data(), key.size()));
  std::vector<float> noisy(clean.data.size());
  add_noise_image(clean.data.data(), noisy.data(), clean.channels, clean.h, clean.w, {o.noise, sigma}, rng);
  return noisy;
}

std::string input_file(const std::string& mode, float sigma, const std::string& name) {
  return mode + "/" + sigma_key(sigma) + "/" + name + ".f32";
}

void write_raw(const fs::path& path, const std::vector<float>& v) {
  fs::create_directories(path.parent_path());
  std::string bytes(v.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian on every target this builds for
  write_file_atomic(path.string(), bytes);
}

std::vector<float> read_raw(const fs::path& path, size_t count) {
  Result<std::vector<uint8_t>> bytes = read_file_capped(path.string(), image::kMaxFileBytes);
  if (!bytes.ok()) throw std::runtime_error(bytes.error());
  if (bytes->size() != count * sizeof(float))
    throw std::runtime_error("'" + path.string() + "' has " + std::to_string(bytes->size()) + " bytes, expected " +
                             std::to_string(count * sizeof(float)));
  std::vector<float> v(count);
  std::memcpy(v.data(), bytes->data(), bytes->size());
  // A NaN output would score NaN, an infinite one nonsense: refuse it rather than rank it.
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(v[i]))
      throw std::runtime_error("'" + path.string() + "' holds a NaN or infinite value (float " + std::to_string(i) +
                               "); a peer's output must be finite");
  return v;
}

void write_noisy_inputs(const PhotoEvalOptions& o, const std::vector<Photo>& photos) {
  json inputs = json::array();
  for (const char* mode : kModes)
    for (float sigma : o.sigmas)
      for (const Photo& p : photos) {
        const std::vector<float> noisy = make_noisy(p, mode, sigma, o);
        const image::Image& clean = clean_of(p, mode);
        const std::string file = input_file(mode, sigma, p.name);
        write_raw(fs::path(o.write_noisy_dir) / file, noisy);
        inputs.push_back({{"mode", mode},
                          {"sigma", sigma_key(sigma)},
                          {"image", p.name},
                          {"file", file},
                          {"channels", clean.channels},
                          {"height", clean.h},
                          {"width", clean.w},
                          {"fingerprint", fingerprint(noisy)}});
      }
  const json index = {{"format", "raw little-endian float32, planar [channels][height][width], values in [0, 1]"},
                      {"noise", noise_formula(o.noise)},
                      {"seed", o.seed},
                      {"crop", o.crop},
                      {"photos", o.photos_dir},
                      {"inputs", inputs}};
  write_file_atomic(o.write_noisy_dir + "/index.json", index.dump(1) + "\n");
  std::fprintf(stderr, "wrote %zu noisy inputs and index.json to %s\n", inputs.size(), o.write_noisy_dir.c_str());
}

// One set of peer outputs per parameter choice, for each (mode, σ).
struct PeerVariant {
  json params;
  std::map<std::string, std::string> files;  // photo name -> output file
};
struct Peer {
  std::string name, description, dir;
  std::map<std::string, std::map<std::string, PeerVariant>> variants;  // "mode/σ" -> params dump -> outputs
};

Peer load_peer(const std::string& dir, const std::vector<Photo>& photos, const PhotoEvalOptions& o) {
  std::ifstream f(dir + "/index.json");
  if (!f) throw std::runtime_error("--peers: no index.json in '" + dir + "'");
  const json index = json::parse(f, nullptr, false);
  if (!index.is_object() || !index.contains("outputs") || !index["outputs"].is_array())
    throw std::runtime_error("--peers: '" + dir + "/index.json' has no \"outputs\" list");
  Peer peer{index.value("name", dir), index.value("description", std::string()), dir, {}};
  // The fingerprints of our own noisy inputs: a peer must have denoised exactly these.
  std::map<std::string, std::string> expected;
  for (const char* mode : kModes)
    for (float sigma : o.sigmas)
      for (const Photo& p : photos)
        expected[input_file(mode, sigma, p.name)] = fingerprint(make_noisy(p, mode, sigma, o));
  for (const json& e : index["outputs"]) {
    const std::string mode = e.at("mode"), sigma = e.at("sigma"), name = e.at("image");
    auto it = std::find_if(o.sigmas.begin(), o.sigmas.end(), [&](float s) { return sigma_key(s) == sigma; });
    const bool known = it != o.sigmas.end() &&
                       std::any_of(photos.begin(), photos.end(), [&](const Photo& p) { return p.name == name; });
    if (!known) continue;  // a photo or σ this run does not evaluate (e.g. with --limit)
    const std::string input = input_file(mode, *it, name);
    if (e.at("fingerprint") != expected[input])
      throw std::runtime_error("--peers: " + dir + " denoised a different noisy '" + input +
                               "' (other seed, crop or photos); rerun evaluate-photos --write-noisy and the peer");
    // The index is data from another program: its file names stay inside the peer's folder.
    const std::string file = e.at("file");
    const fs::path rel(file);
    if (file.empty() || rel.is_absolute() || rel.has_root_name() || rel.has_root_directory() ||
        std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; }))
      throw std::runtime_error("--peers: '" + dir + "/index.json' names the output file '" + file +
                               "', which is not a relative path inside '" + dir + "'; fix or rerun the peer");
    PeerVariant& v = peer.variants[mode + "/" + sigma][e.at("params").dump()];
    v.params = e.at("params");
    v.files[name] = (fs::path(dir) / rel).string();
  }
  return peer;
}

// A way of denoising one (mode, σ): the row it belongs to and its parameter.
struct Method {
  std::string row, kind;  // kind: input, baseline, peer, model
  json params;
  float blur_sigma = 0;
  int median_radius = 0;
  const PeerVariant* peer = nullptr;
  int model = -1;
};

struct ModelEntry {
  std::string name;
  Model model;
};

std::vector<ModelEntry> load_models(const std::string& dir, const std::vector<std::string>& only) {
  std::vector<ModelEntry> models;
  const std::vector<std::string> names = model_names(dir, /*required=*/false);  // the filters alone are a report too
  for (const std::string& wanted : only)
    if (std::find(names.begin(), names.end(), wanted) == names.end())
      throw std::runtime_error("--model-names: no " + wanted + ".safetensors in '" + dir + "'");
  for (const std::string& n : names) {
    if (!only.empty() && std::find(only.begin(), only.end(), n) == only.end()) continue;
    Result<Model> m = Model::from_file(dir + "/" + n + ".safetensors");
    if (!m.ok()) throw std::runtime_error(m.error());
    models.push_back({n, std::move(*m)});
  }
  return models;
}

std::vector<Method> methods_for(const std::string& mode, float sigma, const std::vector<Peer>& peers,
                                const std::vector<ModelEntry>& models) {
  std::vector<Method> m;
  m.push_back({"noisy input", "input", nullptr});
  for (float b : kBlurSigmas) {
    Method x{"gaussian blur", "baseline", {{"sigma", b}}};
    x.blur_sigma = b;
    m.push_back(x);
  }
  for (int r : kMedianRadii) {
    Method x{"median filter", "baseline", {{"radius", r}}};
    x.median_radius = r;
    m.push_back(x);
  }
  for (const Peer& p : peers) {
    auto it = p.variants.find(mode + "/" + sigma_key(sigma));
    if (it == p.variants.end()) continue;
    for (const auto& [key, variant] : it->second) {
      Method x{p.name, "peer", variant.params};
      x.peer = &variant;
      m.push_back(x);
    }
  }
  for (size_t i = 0; i < models.size(); ++i) {
    Method x{models[i].name, "model", nullptr};
    x.model = int(i);
    m.push_back(x);
  }
  return m;
}

// Runs a model on `planes` h×w planes (1 gray or 3 RGB) the way the CLI and the app do (dae::denoise_channels):
// a 1-channel model denoises RGB one channel at a time, a 3-channel model gets gray with synthetic color noise.
std::vector<float> run_model(const Model& model, const std::vector<float>& in, int planes, int h, int w, int ensemble) {
  Tensor t(1, planes, h, w);
  std::copy(in.begin(), in.end(), t.data.begin());
  ChannelOptions options;
  options.run.ensemble = ensemble;
  Result<Tensor> r = denoise_channels(model, t, options);
  if (!r.ok()) throw std::runtime_error(r.error());
  return r->data;
}

std::vector<float> apply(const Method& m, const std::vector<float>& noisy, const Photo& photo, int planes, int h, int w,
                         const std::vector<ModelEntry>& models, int ensemble) {
  const size_t plane = size_t(h) * w;
  std::vector<float> out(noisy.size());
  if (m.kind == "input") return noisy;
  if (m.blur_sigma > 0) {
    for (int c = 0; c < planes; ++c)
      gaussian_blur(noisy.data() + c * plane, out.data() + c * plane, h, w, m.blur_sigma);
  } else if (m.median_radius > 0) {
    for (int c = 0; c < planes; ++c)
      median_filter(noisy.data() + c * plane, out.data() + c * plane, h, w, m.median_radius);
  } else if (m.peer) {
    auto it = m.peer->files.find(photo.name);
    if (it == m.peer->files.end())
      throw std::runtime_error(m.row + " " + m.params.dump() + ": no output for '" + photo.name + "'");
    out = read_raw(it->second, noisy.size());
  } else {
    out = run_model(models[m.model].model, noisy, planes, h, w, ensemble);
  }
  return out;
}

std::vector<float> sample_crop(const std::vector<float>& v, int planes, int h, int w) {
  const int side_h = std::min(h, kSampleSide), side_w = std::min(w, kSampleSide);
  const int y0 = (h - side_h) / 2, x0 = (w - side_w) / 2;
  std::vector<float> out(size_t(3) * kSampleSide * kSampleSide, 1.0f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < side_h; ++y)
      for (int x = 0; x < side_w; ++x)
        out[(size_t(c) * kSampleSide + y) * kSampleSide + x] =
            v[(size_t(std::min(c, planes - 1)) * h + y0 + y) * w + x0 + x];
  return out;
}

struct Cell {
  std::vector<double> psnr, ssim, seconds;  // per method
  std::vector<std::vector<float>> crops;    // per method, for sample photos only
  std::vector<float> clean_crop, noisy_crop;
};

std::string fmt(const char* f, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

int evaluate_photos(const PhotoEvalOptions& options) try {
  PhotoEvalOptions o = options;
  if (o.threads <= 0) o.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  if (o.sigmas.empty()) throw std::runtime_error("--sigmas: no noise level");
  for (float s : o.sigmas)
    if (!(s > 0.0f && s <= 1.0f)) throw std::runtime_error("--sigmas: each level must be in (0, 1]");
  if (o.crop < 0 || o.limit < 0) throw std::runtime_error("--crop and --limit must not be negative");
  const std::vector<Photo> photos = load_photos(o);
  if (!o.write_noisy_dir.empty()) {
    write_noisy_inputs(o, photos);
    return 0;
  }
  const std::vector<ModelEntry> models = load_models(o.models_dir, o.model_names);
  std::vector<Peer> peers;
  for (const std::string& d : o.peer_dirs) peers.push_back(load_peer(d, photos, o));
  std::vector<size_t> samples;
  for (int k = 0; k < std::min<int>(kSamplePhotos, photos.size()); ++k)
    samples.push_back(k * photos.size() / kSamplePhotos);

  // Every (mode, σ, photo) is one job; the jobs run on `threads` workers and fill their own cell.
  struct Job {
    std::string mode;
    size_t sigma, photo;
  };
  std::vector<Job> jobs;
  for (const char* mode : kModes)
    for (size_t s = 0; s < o.sigmas.size(); ++s)
      for (size_t p = 0; p < photos.size(); ++p) jobs.push_back({mode, s, p});
  std::map<std::string, std::vector<Method>> methods;  // "mode/σ"
  for (const char* mode : kModes)
    for (float sigma : o.sigmas)
      methods[std::string(mode) + "/" + sigma_key(sigma)] = methods_for(mode, sigma, peers, models);
  std::vector<Cell> cells(jobs.size());
  std::atomic<size_t> next{0}, done{0};
  std::string failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (size_t j; (j = next++) < jobs.size();) try {
        const Job& job = jobs[j];
        const Photo& photo = photos[job.photo];
        const float sigma = o.sigmas[job.sigma];
        const image::Image& clean = clean_of(photo, job.mode);
        const std::vector<float> noisy = make_noisy(photo, job.mode, sigma, o);
        const bool sample = job.mode == "color" && sigma == kSampleSigma &&
                            std::find(samples.begin(), samples.end(), job.photo) != samples.end();
        Cell& cell = cells[j];
        for (const Method& m : methods.at(job.mode + "/" + sigma_key(sigma))) {
          const auto t0 = std::chrono::steady_clock::now();
          const std::vector<float> out = apply(m, noisy, photo, clean.channels, clean.h, clean.w, models, o.ensemble);
          cell.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          cell.psnr.push_back(psnr_db(out.data(), clean.data.data(), out.size()));
          cell.ssim.push_back(ssim_channels(out.data(), clean.data.data(), clean.channels, clean.h, clean.w));
          if (sample) cell.crops.push_back(sample_crop(out, clean.channels, clean.h, clean.w));
        }
        if (sample) {
          cell.clean_crop = sample_crop(clean.data, 3, clean.h, clean.w);
          cell.noisy_crop = sample_crop(noisy, 3, clean.h, clean.w);
        }
        const size_t n = ++done;
        if (n % photos.size() == 0) std::fprintf(stderr, "\r%zu / %zu", n, jobs.size());
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (failure.empty()) failure = e.what();
        next = jobs.size();
      }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, o.threads); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  std::fprintf(stderr, "\n");
  if (!failure.empty()) throw std::runtime_error(failure);

  // Mean over photos per method; per row the method with the best mean PSNR (rows without a parameter have one).
  json modes = json::object();
  std::map<std::string, std::vector<std::vector<float>>> strip;  // column label -> crop per sample photo
  std::vector<std::string> strip_columns;
  std::map<std::string, double> model_seconds;
  for (const char* mode : kModes) {
    json rows = json::array();
    std::map<std::string, size_t> row_index;
    for (size_t s = 0; s < o.sigmas.size(); ++s) {
      const std::string key = sigma_key(o.sigmas[s]);
      const std::vector<Method>& ms = methods[std::string(mode) + "/" + key];
      std::vector<size_t> cell_of;
      for (size_t j = 0; j < jobs.size(); ++j)
        if (jobs[j].mode == mode && jobs[j].sigma == s) cell_of.push_back(j);
      std::map<std::string, std::pair<size_t, double>> best;  // row -> (method, mean PSNR)
      std::vector<double> mean_psnr(ms.size()), mean_ssim(ms.size());
      for (size_t k = 0; k < ms.size(); ++k) {
        for (size_t j : cell_of) mean_psnr[k] += cells[j].psnr[k], mean_ssim[k] += cells[j].ssim[k];
        mean_psnr[k] /= cell_of.size(), mean_ssim[k] /= cell_of.size();
        auto [it, fresh] = best.try_emplace(ms[k].row, k, mean_psnr[k]);
        if (!fresh && mean_psnr[k] > it->second.second) it->second = {k, mean_psnr[k]};
        if (ms[k].kind == "model")
          for (size_t j : cell_of) model_seconds[ms[k].row] += cells[j].seconds[k];
      }
      for (size_t k = 0; k < ms.size(); ++k) {
        auto it = best.find(ms[k].row);
        if (it == best.end() || it->second.first != k) continue;
        if (!row_index.count(ms[k].row)) {
          row_index[ms[k].row] = rows.size();
          json row = {{"name", ms[k].row}, {"kind", ms[k].kind}, {"by_sigma", json::object()}};
          if (ms[k].kind == "model") {
            const Model& model = models[ms[k].model].model;
            row["channels"] = model.arch().channels;
            row["run"] = model.arch().channels == 1 && std::string(mode) == "color" ? "per channel"
                         : model.arch().channels == 3 && std::string(mode) == "gray"
                             ? "gray with synthetic color noise of its estimated level, mean of the output's R, G, B"
                             : "as is";
          }
          if (ms[k].kind == "peer")
            for (const Peer& p : peers)
              if (p.name == ms[k].row) row["description"] = p.description;
          rows.push_back(row);
        }
        json& row = rows[row_index[ms[k].row]];
        json per_photo = json::object();
        for (size_t j : cell_of) per_photo[photos[jobs[j].photo].name] = cells[j].psnr[k];
        row["by_sigma"][key] = {{"psnr", mean_psnr[k]}, {"ssim", mean_ssim[k]}, {"per_photo_psnr", per_photo}};
        if (!ms[k].params.is_null()) {
          row["by_sigma"][key]["params"] = ms[k].params;
          // A winner at the end of the searched range may not be the true optimum: say so.
          json edge = json::array();
          for (const auto& [pk, pv] : ms[k].params.items()) {
            double lo = pv.get<double>(), hi = lo;
            for (const Method& other : ms)
              if (other.row == ms[k].row && other.params.contains(pk))
                lo = std::min(lo, other.params[pk].get<double>()), hi = std::max(hi, other.params[pk].get<double>());
            if (lo < hi && (pv.get<double>() == lo || pv.get<double>() == hi)) edge.push_back(pk);
          }
          if (!edge.empty()) row["by_sigma"][key]["params_at_grid_edge"] = edge;
        }
      }
      // The strip: clean, noisy, the best classical method (blur, median or peer) and each model worth showing.
      if (std::string(mode) == "color" && o.sigmas[s] == kSampleSigma && !samples.empty()) {
        size_t classical = 0;
        double classical_psnr = -1;
        for (const auto& [row, b] : best)
          if ((ms[b.first].kind == "baseline" || ms[b.first].kind == "peer") && b.second > classical_psnr)
            classical = b.first, classical_psnr = b.second;
        std::vector<std::pair<std::string, int>> columns = {{"clean", -2}, {"noisy", -1}};
        std::string label = ms[classical].row;
        for (const auto& [k, v] : ms[classical].params.items()) label += " " + k + " " + fmt("%g", v.get<double>());
        columns.push_back({label, int(classical)});
        for (size_t k = 0; k < ms.size(); ++k)
          if (ms[k].kind == "model" && (ms[k].row == kDefaultArch || models[ms[k].model].model.arch().channels == 3))
            columns.push_back({ms[k].row, int(k)});
        for (const auto& [name, k] : columns) {
          strip_columns.push_back(name);
          for (size_t j : cell_of) {
            const Cell& c = cells[j];
            if (c.clean_crop.empty()) continue;
            strip[name].push_back(k == -2 ? c.clean_crop : k == -1 ? c.noisy_crop : c.crops[k]);
          }
        }
      }
    }
    modes[mode] = rows;
  }

  json photo_list = json::array();
  for (const Photo& p : photos)
    photo_list.push_back({{"name", p.name}, {"size", {p.src_w, p.src_h}}, {"evaluated", {p.color.w, p.color.h}}});
  json model_list = json::array();
  for (const ModelEntry& m : models)
    model_list.push_back({{"name", m.name},
                          {"channels", m.model.arch().channels},
                          {"params", m.model.param_count()},
                          {"engine_seconds", model_seconds[m.name]}});
  std::vector<std::string> sigma_keys;
  for (float s : o.sigmas) sigma_keys.push_back(sigma_key(s));
  const json report = {
      {"photos_dir", o.photos_dir},
      {"photos", photo_list},
      {"crop", o.crop},
      {"sigmas", sigma_keys},
      {"noise", noise_formula(o.noise)},
      {"noise_kind", noise_name(o.noise)},
      {"level", amount_is_probability(o.noise) ? "p" : "σ"},
      {"noise_seed", o.seed},
      {"ensemble", o.ensemble},
      {"gray", "luma (0.299 R + 0.587 G + 0.114 B) of the RGB photo"},
      {"psnr", "mean over photos of per-photo PSNR (data range 1; for color over all RGB values)"},
      {"ssim",
       "mean over photos of per-photo SSIM (7x7 Gaussian window, sigma 1.5; for color the mean of the per-channel "
       "SSIMs)"},
      {"baseline_parameter_choice", "best mean PSNR on these same photos, per sigma and mode (per channel for color)"},
      {"runner", "engine dae::denoise (output clamped to [0, 1])"},
      {"command", o.command},
      {"threads", o.threads},
      {"modes", modes},
      {"models", model_list},
      {"samples", strip.empty() ? json(nullptr)
                                : json{{"file", "photos-samples.png"},
                                       {"sigma", sigma_key(kSampleSigma)},
                                       {"side", kSampleSide},
                                       {"zoom", kSampleZoom},
                                       {"columns", strip_columns}}}};
  fs::create_directories(o.out_dir);
  write_file_atomic(o.out_dir + "/photos.json", report.dump(2) + "\n");

  write_file_atomic(o.out_dir + "/PHOTOS.md", photos_markdown(report));

  // The strip: one row per sample photo, one column per method.
  if (!strip.empty()) {
    constexpr int kGap = 6, kHeader = 18;
    const int cell = kSampleSide * kSampleZoom;
    const int rows = int(strip[strip_columns[0]].size());
    Canvas canvas(int(strip_columns.size()) * (cell + kGap) + kGap, kHeader + rows * (cell + kGap), {255, 255, 255});
    for (size_t c = 0; c < strip_columns.size(); ++c) {
      const int x = kGap + int(c) * (cell + kGap);
      canvas.text(x, 5, strip_columns[c], {30, 30, 30}, 1);
      for (int r = 0; r < rows; ++r)
        canvas.rgb_image(x, kHeader + r * (cell + kGap), strip[strip_columns[c]][r].data(), kSampleSide, kSampleSide,
                         kSampleZoom);
    }
    canvas.save_png(o.out_dir + "/photos-samples.png");
  }
  std::fprintf(stderr, "wrote %s/photos.json, PHOTOS.md%s\n", o.out_dir.c_str(),
               strip.empty() ? "" : ", photos-samples.png");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}

}  // namespace dae::trainer
