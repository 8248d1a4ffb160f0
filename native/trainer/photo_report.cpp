// PHOTOS.md from photos.json: a header saying how everything was measured, per mode a PSNR / SSIM table, the
// chosen baseline parameters and each model's margin over the best classical row, PSNR per photo, the models.
#include "photo_report.h"

#include <algorithm>
#include <cstdio>

namespace dae::trainer {
namespace {

using nlohmann::json;

std::string fmt(const char* f, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// The name of the noise level: σ, or p for salt-and-pepper (reports written before other kinds say nothing: σ).
std::string level(const json& r) {
  return r.value("level", std::string("σ"));
}

// "| <first> | σ a | σ b |\n|---|---|---|\n"
std::string table_head(const std::string& first, const json& r) {
  const json& sigmas = r["sigmas"];
  std::string md = "| " + first + " |";
  for (const json& k : sigmas) md += " " + level(r) + " " + k.get<std::string>() + " |";
  md += "\n|---|";
  for (size_t i = 0; i < sigmas.size(); ++i) md += "---|";
  return md + "\n";
}

std::string row_label(const json& row) {
  std::string name = row["name"];
  if (row["kind"] == "baseline" || row["kind"] == "peer")
    name = "best " + (name == "gaussian blur" ? std::string("Gaussian blur") : name);
  if (row["kind"] == "model" && row["run"] != "as is") name += " (" + row["run"].get<std::string>() + ")";
  return name;
}

const json* at_sigma(const json& row, const std::string& key) {
  const json& by = row["by_sigma"];
  return by.contains(key) ? &by[key] : nullptr;
}

}  // namespace

std::string photos_markdown(const json& r) {
  const json& sigmas = r["sigmas"];
  const int crop = r["crop"];
  std::string md = "# Denoising real photos\n\n";
  md += std::to_string(r["photos"].size()) + " test photos from `" + r["photos_dir"].get<std::string>() + "`";
  md += crop > 0 ? ", each evaluated on its center " + std::to_string(crop) + "x" + std::to_string(crop) +
                       " crop (the whole photo when smaller)"
                 : ", whole";
  md += ". Noise: " + r["noise"].get<std::string>() + ", noise seed " +
        std::to_string(r["noise_seed"].get<uint64_t>()) +
        ". Gray is the luma of the RGB photo. PSNR (data range 1) is the mean of per-photo PSNRs, for color over "
        "all RGB values; SSIM is the mean per-photo SSIM (7x7 Gaussian window), for color the mean of the "
        "per-channel SSIMs. The blur and median baselines work per channel and, like the non-local means peer, use "
        "their best parameter per sigma and mode, picked on these same photos (which favours them). Models run "
        "through the engine as the app and `dae-denoise` run them (`dae::denoise_channels`); a 1-channel model "
        "denoises color photos one channel at a time; a 3-channel model gets a gray photo with zero-sum synthetic "
        "color noise added (the level estimated from the photo, one draw), which makes it an RGB image with the "
        "independent per-channel noise the model learned, and the mean of its output's channels is scored.";
  if (r.value("ensemble", 1) > 1)
    md += " Models are averaged over " + std::to_string(r["ensemble"].get<int>()) +
          " mirrors and quarter turns of the image (`--ensemble`).";
  md += "\n\n";
  md += "Command: `" + r["command"].get<std::string>() + "`\n\n";

  for (const char* mode : {"gray", "color"}) {
    const json& rows = r["modes"][mode];
    md += std::string("## ") + (std::string(mode) == "gray" ? "Grayscale" : "Color (RGB)") + "\n\n";
    md += table_head("PSNR dB / SSIM", r);
    for (const json& row : rows) {
      md += "| " + row_label(row) + " |";
      for (const json& k : sigmas) {
        const json* s = at_sigma(row, k);
        md += s ? " " + fmt("%.2f", (*s)["psnr"].get<double>()) + " / " + fmt("%.3f", (*s)["ssim"].get<double>()) + " |"
                : " – |";
      }
      md += "\n";
    }

    md += "\n" + table_head("best parameter", r);
    for (const json& row : rows) {
      if (row["kind"] != "baseline" && row["kind"] != "peer") continue;
      md += "| " + row["name"].get<std::string>() + " |";
      for (const json& k : sigmas) {
        std::string p;
        if (const json* s = at_sigma(row, k))
          for (const auto& [pk, pv] : (*s)["params"].items()) {
            const json edge = s->value("params_at_grid_edge", json::array());
            const bool at_edge = std::find(edge.begin(), edge.end(), pk) != edge.end();
            p += (p.empty() ? "" : ", ") + pk + " " + fmt("%g", pv.get<double>()) + (at_edge ? "\\*" : "");
          }
        md += " " + (p.empty() ? std::string("–") : p) + " |";
      }
      md += "\n";
    }
    md += "\n\\* the best value lies at the end of the searched range.\n\n";

    // What the quality floors are about: each model against the best of the classical rows at each sigma.
    md += table_head("model − best classical, PSNR dB", r);
    for (const json& row : rows) {
      if (row["kind"] != "model") continue;
      md += "| " + row_label(row) + " |";
      for (const json& k : sigmas) {
        double best = -1e9;
        std::string best_name;
        for (const json& other : rows)
          if (other["kind"] == "baseline" || other["kind"] == "peer")
            if (const json* s = at_sigma(other, k); s && (*s)["psnr"].get<double>() > best)
              best = (*s)["psnr"], best_name = other["name"];
        const json* s = at_sigma(row, k);
        md += s && !best_name.empty() ? " " + fmt("%+.2f", (*s)["psnr"].get<double>() - best) + " (" + best_name + ") |"
                                      : " – |";
      }
      md += "\n";
    }
    md += "\n";
  }

  // PSNR per photo at the sample strip's sigma (or the middle one), color.
  const std::string key = r["samples"].is_object() ? r["samples"]["sigma"].get<std::string>()
                                                   : sigmas[sigmas.size() / 2].get<std::string>();
  const json& color = r["modes"]["color"];
  md += "## PSNR per photo, color, " + level(r) + " " + key + " (dB)\n\n| photo |";
  for (const json& row : color) md += " " + row["name"].get<std::string>() + " |";
  md += "\n|---|";
  for (size_t i = 0; i < color.size(); ++i) md += "---|";
  md += "\n";
  for (const json& p : r["photos"]) {
    const std::string name = p["name"];
    md += "| " + name + " (" + std::to_string(p["evaluated"][0].get<int>()) + "x" +
          std::to_string(p["evaluated"][1].get<int>()) + ") |";
    for (const json& row : color) {
      const json* s = at_sigma(row, key);
      md += s ? " " + fmt("%.2f", (*s)["per_photo_psnr"][name].get<double>()) + " |" : " – |";
    }
    md += "\n";
  }

  md += "\n## Models\n\n| model | channels | params | engine seconds, all photos, modes and sigmas (" +
        std::to_string(r["threads"].get<int>()) + " photos at once) |\n|---|---|---|---|\n";
  for (const json& m : r["models"])
    md += "| " + m["name"].get<std::string>() + " | " + std::to_string(m["channels"].get<int>()) + " | " +
          std::to_string(m["params"].get<int64_t>()) + " | " + fmt("%.1f", m["engine_seconds"].get<double>()) + " |\n";
  if (r["samples"].is_object()) {
    const json& s = r["samples"];
    const std::string side = std::to_string(s["side"].get<int>());
    md += "\n![samples](" + s["file"].get<std::string>() + ")\n\nCenter " + side + "x" + side + " crops, color, σ " +
          s["sigma"].get<std::string>() + ", shown at " + std::to_string(s["zoom"].get<int>()) +
          "x: clean, noisy, the best classical method at its best parameter, and the default and color models.\n";
  }
  return md;
}

}  // namespace dae::trainer
