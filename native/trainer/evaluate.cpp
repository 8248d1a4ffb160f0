// The evaluation report: every model runs through the engine's dae::denoise (the code the browser runs), the
// baselines through the engine's filters, and all metrics come from dae/metrics.h.
#include "evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "dae/arch.h"
#include "dae/fashion_mnist.h"
#include "dae/engine.h"
#include "dae/metrics.h"
#include "dae/noise.h"
#include "dae/snapshots.h"
#include "export_safetensors.h"
#include "plot.h"

namespace dae::trainer {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Noise levels in the report, on the [0, 1] pixel scale.
const float kSigmas[] = {0.1f, 0.2f, 0.3f, 0.5f};
// The level for per-class numbers and the quality floors.
constexpr float kMainSigma = 0.3f;
// Candidate parameters for the classical baselines; the best per σ is reported.
const float kBlurSigmas[] = {0.5f, 0.7f, 0.9f, 1.1f, 1.4f, 1.8f, 2.4f};
const int kMedianRadii[] = {1, 2, 3};
// Images per engine call.
constexpr int kEngineBatch = 250;
constexpr int kSide = 28, kPlane = kSide * kSide;

struct Scores {
  double mse = 0, psnr = 0, ssim = 0;
  std::vector<double> class_psnr = std::vector<double>(10, 0.0);
};

std::string sigma_key(float s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

// Per-image metrics averaged over the set (PSNR is the mean of per-image PSNRs).
Scores score(const std::vector<float>& out, const std::vector<float>& clean, const std::vector<int64_t>& labels) {
  Scores s;
  std::vector<int> per_class(10, 0);
  const size_t n = labels.size();
  for (size_t i = 0; i < n; ++i) {
    const float* a = out.data() + i * kPlane;
    const float* b = clean.data() + i * kPlane;
    const double m = mse(a, b, kPlane), p = psnr_db(m);
    s.mse += m, s.psnr += p, s.ssim += ssim(a, b, kSide, kSide);
    s.class_psnr[labels[i]] += p;
    ++per_class[labels[i]];
  }
  s.mse /= n, s.psnr /= n, s.ssim /= n;
  for (int c = 0; c < 10; ++c) s.class_psnr[c] /= std::max(per_class[c], 1);
  return s;
}

json scores_json(const Scores& s) {
  return {{"mse", s.mse}, {"psnr", s.psnr}, {"ssim", s.ssim}};
}

template <class Filter>
std::vector<float> filter_all(const std::vector<float>& noisy, Filter f) {
  std::vector<float> out(noisy.size());
  for (size_t i = 0; i < noisy.size() / kPlane; ++i) f(noisy.data() + i * kPlane, out.data() + i * kPlane);
  return out;
}

struct ModelEntry {
  std::string name, path;
  Model model;
  double seconds = 0;
  int64_t images = 0;
};

std::vector<float> run_model(ModelEntry& m, const std::vector<float>& noisy) {
  std::vector<float> out(noisy.size());
  const int64_t n = static_cast<int64_t>(noisy.size() / kPlane);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t b = 0; b < n; b += kEngineBatch) {
    const int count = static_cast<int>(std::min<int64_t>(kEngineBatch, n - b));
    Tensor in(count, 1, kSide, kSide);
    std::copy_n(noisy.data() + b * kPlane, in.size(), in.data.begin());
    Result<Tensor> r = denoise(m.model, in);
    if (!r.ok()) throw std::runtime_error(m.path + ": " + r.error());
    std::copy(r->data.begin(), r->data.end(), out.begin() + b * kPlane);
  }
  m.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.images += n;
  return out;
}

// Model files in a folder, the default (kDefaultArch) first, then by name.
const Rgb kPalette[] = {{214, 39, 40}, {31, 119, 180}, {44, 160, 44}, {148, 103, 189}, {255, 127, 14}};

// A model file's "dae.history" (metadata: anything may be in it) as three series; false unless it is a list of
// objects whose train_loss, val_loss and val_psnr are numbers or null (how JSON writes a NaN: read back as NaN).
bool read_history(const std::string& text, std::vector<double>& train, std::vector<double>& val,
                  std::vector<double>& psnr) {
  const json h = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!h.is_array()) return false;
  const auto number = [](const json& e, const char* key, std::vector<double>& out) {
    auto it = e.find(key);
    if (it == e.end() || !(it->is_number() || it->is_null())) return false;
    out.push_back(it->is_null() ? std::nan("") : it->get<double>());
    return true;
  };
  for (const json& e : h)
    if (!e.is_object() || !number(e, "train_loss", train) || !number(e, "val_loss", val) ||
        !number(e, "val_psnr", psnr))
      return false;
  return true;
}

void draw_loss_png(const std::string& path, const std::vector<ModelEntry>& models) {
  std::vector<Series> loss, psnr;
  for (size_t i = 0; i < models.size(); ++i) {
    const auto& meta = models[i].model.metadata();
    auto it = meta.find("dae.history");
    if (it == meta.end()) continue;
    Series train{models[i].name + " train", {}, kPalette[i % 5], true},
        val{models[i].name + " val", {}, kPalette[i % 5]};
    Series p{models[i].name, {}, kPalette[i % 5]};
    if (!read_history(it->second, train.values, val.values, p.values)) {
      std::fprintf(stderr,
                   "'%s': its dae.history is not a list of epochs with train_loss, val_loss and val_psnr; "
                   "no training curve drawn for it\n",
                   models[i].name.c_str());
      continue;
    }
    const std::string loss_name = meta.count("dae.loss") ? meta.at("dae.loss") : "loss";
    train.label += " (" + loss_name + ")", val.label += " (" + loss_name + ")";
    loss.push_back(train), loss.push_back(val), psnr.push_back(p);
  }
  Canvas cv(1000, 400, {255, 255, 255});
  draw_chart(cv, 0, 0, 500, 400, "loss per epoch (log scale)", loss, true);
  draw_chart(cv, 500, 0, 500, 400, "validation PSNR, dB", psnr, false);
  cv.save_png(path);
}

// PSNR against σ for every row of the report (models solid, the noisy input and the filters dashed).
void draw_psnr_png(const std::string& path, const json& rows) {
  std::vector<Series> series;
  std::vector<double> xs;
  for (float sigma : kSigmas) xs.push_back(sigma);
  // The models in colours, the noisy input and the filters in greys.
  const Rgb colors[] = {{214, 39, 40},  {31, 119, 180}, {44, 160, 44},  {148, 103, 189},
                        {255, 127, 14}, {23, 190, 207}, {140, 86, 75},  {227, 119, 194}};
  const Rgb greys[] = {{190, 190, 190}, {140, 140, 140}, {90, 90, 90}};
  size_t models = 0, others = 0;
  for (const json& row : rows) {
    const bool model = row.value("kind", "") == "model";
    Series s{row["name"].get<std::string>(), {}, model ? colors[models++ % 8] : greys[others++ % 3]};
    for (float sigma : kSigmas) s.values.push_back(row["by_sigma"][sigma_key(sigma)]["psnr"].get<double>());
    series.push_back(std::move(s));
  }
  Canvas cv(700, 420, {255, 255, 255});
  draw_chart(cv, 0, 0, 700, 420, "PSNR (dB) against the noise sigma, Fashion-MNIST test set", series, false, xs,
             "sigma");
  cv.save_png(path);
}

// The folder's models that run on Fashion-MNIST (one channel), the default first.
std::vector<ModelEntry> load_gray_models(const std::string& dir) {
  std::vector<ModelEntry> models;
  for (const std::string& name : model_names(dir)) {
    const std::string path = dir + "/" + name + ".safetensors";
    Result<Model> m = Model::from_file(path);
    if (!m.ok()) throw std::runtime_error(m.error());
    if (m->arch().channels != 1) {
      // Color models are measured on photos (evaluate-photos), not on grayscale clothing.
      std::fprintf(stderr, "skipping '%s': %d channels (see dae-train evaluate-photos)\n", name.c_str(),
                   m->arch().channels);
      continue;
    }
    models.push_back({name, path, std::move(*m)});
  }
  return models;
}

// The sample grid: the first test image of each class, in rows of clean / noisy / model outputs for three σ.
const float kGridSigmas[] = {0.1f, 0.3f, 0.5f};

struct SampleGrid {
  std::vector<int64_t> index = std::vector<int64_t>(10, -1);  // per class; -1 when the class is missing
  std::vector<std::pair<std::string, std::vector<float>>> rows;

  explicit SampleGrid(const std::vector<int64_t>& labels) {
    for (int64_t i = 0; i < static_cast<int64_t>(labels.size()); ++i)
      if (index[labels[i]] < 0) index[labels[i]] = i;
  }
  void add(const std::string& label, const std::vector<float>& images) {
    std::vector<float> row;
    for (int64_t idx : index)
      if (idx >= 0) row.insert(row.end(), images.begin() + idx * kPlane, images.begin() + (idx + 1) * kPlane);
    rows.emplace_back(label, row);
  }
};

// What the report shows: report.json's rows, the per-class PSNR at kMainSigma, engine speeds and the sample grid.
struct Measured {
  json rows = json::array();
  json per_class = json::object();
  json speeds = json::object();
  SampleGrid grid;
};

// Noise at every σ, the baselines at their best parameter, and every model through dae::denoise.
Measured measure(std::vector<ModelEntry>& models, const std::vector<float>& clean, const std::vector<int64_t>& labels,
                 uint64_t seed) {
  Measured m{json::array(), json::object(), json::object(), SampleGrid(labels)};
  json noisy_row, blur_row, blur_params, median_row, median_params;
  std::vector<json> model_rows(models.size());
  m.grid.add("clean", clean);
  for (size_t si = 0; si < std::size(kSigmas); ++si) {
    const float sigma = kSigmas[si];
    const std::string key = sigma_key(sigma);
    std::fprintf(stderr, "sigma %s: noise, baselines", key.c_str());
    Rng rng(seed + si);
    std::vector<float> noisy(clean.size());
    add_noise(clean.data(), noisy.data(), clean.size(), {NoiseKind::Gaussian, sigma}, rng);
    const Scores noisy_scores = score(noisy, clean, labels);
    noisy_row[key] = scores_json(noisy_scores);
    Scores best_blur{-1, -1, -1}, best_median{-1, -1, -1};
    for (float b : kBlurSigmas) {
      Scores s = score(filter_all(noisy, [&](const float* in, float* out) { gaussian_blur(in, out, kSide, kSide, b); }),
                       clean, labels);
      if (s.psnr > best_blur.psnr) best_blur = s, blur_params[key] = std::round(b * 100.0) / 100.0;
    }
    for (int r : kMedianRadii) {
      Scores s = score(filter_all(noisy, [&](const float* in, float* out) { median_filter(in, out, kSide, kSide, r); }),
                       clean, labels);
      if (s.psnr > best_median.psnr) best_median = s, median_params[key] = r;
    }
    blur_row[key] = scores_json(best_blur);
    median_row[key] = scores_json(best_median);
    const bool in_grid = std::find(std::begin(kGridSigmas), std::end(kGridSigmas), sigma) != std::end(kGridSigmas);
    if (in_grid) m.grid.add("noisy " + key, noisy);
    if (sigma == kMainSigma) {
      m.per_class["noisy"] = noisy_scores.class_psnr;
      m.per_class["gaussian blur"] = best_blur.class_psnr;
      m.per_class["median filter"] = best_median.class_psnr;
    }
    for (size_t mi = 0; mi < models.size(); ++mi) {
      std::fprintf(stderr, ", %s", models[mi].name.c_str());
      const std::vector<float> out = run_model(models[mi], noisy);
      const Scores s = score(out, clean, labels);
      model_rows[mi][key] = scores_json(s);
      if (sigma == kMainSigma) m.per_class[models[mi].name] = s.class_psnr;
      if (in_grid) m.grid.add(models[mi].name + " " + key, out);
    }
    std::fprintf(stderr, "\n");
  }
  auto add_row = [&](const std::string& name, const std::string& kind, json by_sigma, json params) {
    m.rows.push_back({{"name", name}, {"kind", kind}, {"by_sigma", by_sigma}, {"params", params}});
  };
  add_row("noisy input", "input", noisy_row, nullptr);
  add_row("gaussian blur", "baseline", blur_row, {{"sigma", blur_params}});
  add_row("median filter", "baseline", median_row, {{"radius", median_params}});
  for (size_t mi = 0; mi < models.size(); ++mi) {
    const auto& meta = models[mi].model.metadata();
    json info = {{"file", models[mi].name + ".safetensors"}, {"params", models[mi].model.param_count()}};
    for (const char* k : {"dae.train_command", "dae.sigma_train", "dae.noise_train", "dae.loss", "dae.epochs",
                          "dae.init.train_command", "dae.weights"})
      if (meta.count(k)) info[std::string(k).substr(4)] = meta.at(k);
    add_row(models[mi].name, "model", model_rows[mi], info);
    m.speeds[models[mi].name] = double(models[mi].images) / models[mi].seconds;
  }
  return m;
}

std::vector<std::string> class_names() {
  const auto& names = fashion_mnist::kClassNames;
  return {std::begin(names), std::end(names)};
}

json report_json(const Measured& m, int64_t n, uint64_t seed) {
  return {{"test_images", n},
          {"noise", "gaussian, x + sigma*N(0,1) clipped to [0, 1], sigma on the [0, 1] pixel scale"},
          {"noise_seed", seed},
          {"runner", "engine dae::denoise (output clamped to [0, 1]), one thread"},
          {"psnr", "mean over images of per-image PSNR, data range 1"},
          {"ssim", "per-image SSIM (7x7 Gaussian window, sigma 1.5), mean over images"},
          {"baseline_parameter_choice", "best mean PSNR on this same test set, per sigma"},
          {"rows", m.rows},
          {"per_class_psnr_sigma_0.3", {{"classes", class_names()}, {"psnr", m.per_class}}},
          {"engine_images_per_second", m.speeds}};
}

std::string report_markdown(const Measured& m, int64_t n, uint64_t seed) {
  std::string md = "# Denoising report\n\n";
  // Big enough for a row holding two training commands.
  char buf[2048];
  std::snprintf(buf, sizeof buf,
                "Fashion-MNIST test set, %lld images. Noise: Gaussian, `x + sigma*N(0,1)` clipped to [0, 1]; sigma on "
                "the [0, 1] pixel scale; noise seed %llu.\n",
                static_cast<long long>(n), static_cast<unsigned long long>(seed));
  md += buf;
  md +=
      "Models run through the engine (`dae::denoise`, the code the browser runs, output clamped to [0, 1]). PSNR is "
      "the mean of per-image PSNRs (data range 1); SSIM is the mean per-image SSIM (7x7 Gaussian window). The "
      "baselines use their best parameter per sigma, chosen on this same test set (which favours them).\n\n";
  md += "| method | sigma | MSE | PSNR dB | SSIM |\n|---|---|---|---|---|\n";
  for (const json& row : m.rows)
    for (float sigma : kSigmas) {
      const json& s = row["by_sigma"][sigma_key(sigma)];
      std::string name = row["name"];
      if (row["name"] == "gaussian blur") name += " (sigma " + row["params"]["sigma"][sigma_key(sigma)].dump() + ")";
      if (row["name"] == "median filter") name += " (radius " + row["params"]["radius"][sigma_key(sigma)].dump() + ")";
      std::snprintf(buf, sizeof buf, "| %s | %s | %.5f | %.2f | %.4f |\n", name.c_str(), sigma_key(sigma).c_str(),
                    s["mse"].get<double>(), s["psnr"].get<double>(), s["ssim"].get<double>());
      md += buf;
    }
  md += "\n![PSNR against sigma](psnr.png)\n";
  md += "\n## PSNR per class at sigma 0.3 (dB)\n\n| method |";
  const std::vector<std::string> classes = class_names();
  for (const auto& c : classes) md += " " + c + " |";
  md += "\n|---|";
  for (size_t i = 0; i < classes.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& [name, values] : m.per_class.items()) {
    md += "| " + name + " |";
    for (double v : values) std::snprintf(buf, sizeof buf, " %.2f |", v), md += buf;
    md += "\n";
  }
  md +=
      "\n## Models\n\n| model | params | trained on | engine img/s (28x28, batch 250, 1 thread) |\n|---|---|---|---|\n";
  for (const json& row : m.rows) {
    if (row["kind"] != "model") continue;
    const json& p = row["params"];
    std::string how = "`" + p.value("train_command", std::string("?")) + "`";
    if (p.contains("init.train_command")) how += " starting from `" + p["init.train_command"].get<std::string>() + "`";
    if (p.contains("weights")) how += "; weights stored as " + p["weights"].get<std::string>();
    std::snprintf(buf, sizeof buf, "| %s | %lld | %s | %.0f |\n", row["name"].get<std::string>().c_str(),
                  static_cast<long long>(p["params"].get<int64_t>()), how.c_str(),
                  m.speeds.at(row["name"].get<std::string>()).get<double>());
    md += buf;
  }
  md +=
      "\n![samples](samples.png)\n\nRows: clean, then for sigma 0.1, 0.3 and 0.5 the noisy input and each model's "
      "output; one column per class.\n\n![loss](loss.png)\n\nTraining curves from the `dae.history` metadata in "
      "each model file.\n";
  return md;
}

void draw_sample_grid(const std::string& path, const SampleGrid& g) {
  constexpr int kZoom = 3, kGap = 4, kLabel = 110;
  const int cell = kSide * kZoom + kGap;
  Canvas grid(kLabel + 10 * cell, static_cast<int>(g.rows.size()) * cell + kGap, {255, 255, 255});
  for (size_t r = 0; r < g.rows.size(); ++r) {
    grid.text(4, int(r) * cell + cell / 2 - 4, g.rows[r].first, {30, 30, 30}, 1);
    for (size_t c = 0; c < g.rows[r].second.size() / kPlane; ++c)
      grid.gray_image(kLabel + int(c) * cell, kGap + int(r) * cell, g.rows[r].second.data() + c * kPlane, kSide,
                      kSide, kZoom);
  }
  grid.save_png(path);
}

}  // namespace

std::vector<std::string> model_names(const std::string& dir, bool required) {
  std::vector<std::string> names;
  if (!fs::is_directory(dir)) throw std::runtime_error("no model folder '" + dir + "'");
  static const std::string kHistory = ".snapshots";  // a model's training history, not a model (dae/snapshots.h)
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string stem = e.path().stem().string();
    const bool history = stem.size() > kHistory.size() && stem.compare(stem.size() - kHistory.size(), kHistory.size(), kHistory) == 0;
    if (e.path().extension() == ".safetensors" && !history) names.push_back(stem);
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return std::pair{a != kDefaultArch, a} < std::pair{b != kDefaultArch, b};
  });
  if (names.empty() && required) throw std::runtime_error("no .safetensors model files in '" + dir + "'");
  return names;
}

void evaluate_models(const EvalOptions& o, const Split& test_all) {
  const Split test = head(test_all, o.limit);
  const int64_t n = test.size();
  const std::vector<float> clean(test.images.data_ptr<float>(), test.images.data_ptr<float>() + n * kPlane);
  const std::vector<int64_t> labels(test.labels.data_ptr<int64_t>(), test.labels.data_ptr<int64_t>() + n);
  std::vector<ModelEntry> models = load_gray_models(o.models_dir);
  fs::create_directories(o.out_dir);
  const Measured m = measure(models, clean, labels, o.seed);
  write_file_atomic(o.out_dir + "/report.json", report_json(m, n, o.seed).dump(2) + "\n");
  write_file_atomic(o.out_dir + "/REPORT.md", report_markdown(m, n, o.seed));
  draw_sample_grid(o.out_dir + "/samples.png", m.grid);
  draw_loss_png(o.out_dir + "/loss.png", models);
  draw_psnr_png(o.out_dir + "/psnr.png", m.rows);
  std::fprintf(stderr, "wrote %s/report.json, REPORT.md, samples.png, loss.png, psnr.png\n", o.out_dir.c_str());
}

void write_manifest(const std::string& models_dir, const std::string& report_dir) {
  json report;
  if (std::ifstream f(report_dir + "/report.json"); f) report = json::parse(f, nullptr, false);
  json models = json::array();
  for (const std::string& name : model_names(models_dir)) {
    const std::string path = models_dir + "/" + name + ".safetensors";
    Result<Model> m = Model::from_file(path);
    if (!m.ok()) throw std::runtime_error(m.error());
    const auto& meta = m->metadata();
    auto get = [&](const char* k) { return meta.count(k) ? meta.at(k) : std::string(); };
    json entry = {{"name", name},
                  {"file", name + ".safetensors"},
                  {"params", m->param_count()},
                  {"bytes", fs::file_size(path)},
                  {"train_command", get("dae.train_command")},
                  {"sigma_train", get("dae.sigma_train")},
                  {"noise_train", get("dae.noise_train")},
                  {"loss", get("dae.loss")},
                  {"epochs", get("dae.epochs")},
                  {"channels", m->arch().channels}};
    if (meta.count("dae.train_data")) entry["train_data"] = get("dae.train_data");
    // A fine-tuned model also lists the run its starting weights came from.
    if (meta.count("dae.init.train_command"))
      entry["init"] = {{"train_command", get("dae.init.train_command")}, {"epochs", get("dae.init.epochs")}};
    if (meta.count("dae.weights")) entry["weights"] = get("dae.weights");
    if (fs::exists(models_dir + "/" + name + ".onnx")) entry["onnx"] = name + ".onnx";
    // Its training history (--snapshots), which the page downloads only when its training slider is first used.
    if (const std::string history = snapshots_path_for(path); fs::exists(history)) {
      Result<Snapshots> h = Snapshots::from_file(history);
      if (!h.ok()) throw std::runtime_error(h.error());
      if (!h->same_arch(*m)) throw std::runtime_error(history + " is the history of another architecture than " + path);
      entry["snapshots"] = {{"file", name + ".snapshots.safetensors"},
                            {"bytes", fs::file_size(history)},
                            {"count", h->size()},
                            {"steps", h->info().back().step}};
    }
    if (report.is_object())
      for (const json& row : report["rows"])
        if (row["name"] == name) entry["quality"] = row["by_sigma"];
    models.push_back(entry);
  }
  json manifest = {{"default", models[0]["name"]}, {"models", models}};
  // The model the page uses for full-resolution color uploads: kPhotoArch if present, else the first color model.
  for (const json& entry : models)
    if (entry["channels"] == 3 && (!manifest.contains("default_photo") || entry["name"] == kPhotoArch))
      manifest["default_photo"] = entry["name"];
  // And for gray ones: kPhotoGrayArch if present; without it the page gives gray photos to the color model.
  for (const json& entry : models)
    if (entry["channels"] == 1 && entry["name"] == kPhotoGrayArch) manifest["default_photo_gray"] = entry["name"];
  // And for photos with a camera's noise, where those models exist.
  for (const json& entry : models) {
    if (entry["name"] == kPhotoCameraArch) manifest["default_photo_camera"] = entry["name"];
    if (entry["name"] == kPhotoGrayCameraArch) manifest["default_photo_gray_camera"] = entry["name"];
  }
  write_file_atomic(models_dir + "/models.json", manifest.dump(2) + "\n");
  std::fprintf(stderr, "wrote %s/models.json (%zu models)\n", models_dir.c_str(), models.size());
}

}  // namespace dae::trainer
