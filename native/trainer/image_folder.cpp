// Image folders for training: reading and splitting by file, the file list, and seeded patch sampling.
#include "image_folder.h"
#include "dae/channels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace dae::trainer {
namespace {

namespace fs = std::filesystem;

const char* const kSplits[] = {"train", "val", "test"};

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif"})
    if (ext == e) return true;
  return false;
}

// FNV-1a: a stable hash of the relative path, the same on every machine and run.
uint64_t path_hash(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::vector<std::string> image_paths_under(const fs::path& root) {
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file() && is_image_name(it->path())) paths.push_back(fs::relative(it->path(), root).string());
  std::sort(paths.begin(), paths.end());
  return paths;
}

// A file name as one TSV field: a tab or line break in a name would start a forged column or row, so those and the
// backslash are written as \t, \n, \r and \\ (the escapes of the common TSV convention).
std::string tsv_field(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<const ImageFile*> ImageFolder::split(const std::string& name) const {
  std::vector<const ImageFile*> out;
  for (const ImageFile& f : files)
    if (f.split == name) out.push_back(&f);
  return out;
}

ImageFolder load_image_folder(const ImageFolderOptions& o) {
  if (!fs::is_directory(o.dir)) throw std::runtime_error("--images: '" + o.dir + "' is not a folder");
  ImageFolder folder;
  folder.dir = o.dir;
  std::vector<std::pair<std::string, std::string>> listed;  // split, relative path
  const bool presplit = fs::is_directory(fs::path(o.dir) / "train") && fs::is_directory(fs::path(o.dir) / "val");
  if (presplit) {
    folder.split_rule = "by folder (train/, val/, test/)";
    for (const char* s : kSplits)
      if (fs::is_directory(fs::path(o.dir) / s))
        for (const std::string& p : image_paths_under(fs::path(o.dir) / s)) listed.push_back({s, s + ("/" + p)});
  } else {
    folder.split_rule = "by file: FNV-1a hash of the relative path, first 10% test, next 10% val, rest train";
    std::vector<std::string> paths = image_paths_under(o.dir);
    std::vector<std::pair<uint64_t, std::string>> ranked;
    for (const std::string& p : paths) ranked.push_back({path_hash(p), p});
    std::sort(ranked.begin(), ranked.end());
    const size_t n = ranked.size();
    const size_t n_test = n >= 3 ? std::max<size_t>(1, n / 10) : 0;
    const size_t n_val = n >= 2 ? std::max<size_t>(1, n / 10) : 0;
    for (size_t i = 0; i < n; ++i)
      listed.push_back({i < n_test ? "test" : i < n_test + n_val ? "val" : "train", ranked[i].second});
  }
  uint64_t decoded_bytes = 0;
  for (const auto& [split, rel] : listed) {
    Result<image::Image> img = image::load((fs::path(o.dir) / rel).string(), o.channels);
    if (!img.ok()) {
      folder.skipped.push_back(rel + ": " + img.error());
      continue;
    }
    if (img->w < o.min_side || img->h < o.min_side) {
      folder.skipped.push_back(rel + ": " + std::to_string(img->w) + "x" + std::to_string(img->h) +
                               " is smaller than the " + std::to_string(o.min_side) + "-pixel patch");
      continue;
    }
    decoded_bytes += img->data.size() * sizeof(float);
    if (decoded_bytes > o.max_bytes)
      throw std::runtime_error(
          "--images: '" + o.dir + "' needs more than " + std::to_string(decoded_bytes >> 20) + " MB decoded (" +
          std::to_string(folder.files.size() + 1) + " of its " + std::to_string(listed.size()) +
          " listed images so far, held as floats: 4 bytes per channel and pixel, in every process of a run), over "
          "the --images-max-mb budget of " +
          std::to_string(o.max_bytes >> 20) + " MB. Train on a smaller folder or on downscaled copies, or raise " +
          "--images-max-mb if this machine has the memory");
    folder.files.push_back({rel, split, std::move(*img)});
  }
  std::stable_sort(folder.files.begin(), folder.files.end(),
                   [](const ImageFile& a, const ImageFile& b) { return a.split < b.split; });
  if (folder.split("train").empty() || folder.split("val").empty())
    throw std::runtime_error("--images: '" + o.dir + "' has " + std::to_string(folder.split("train").size()) +
                             " usable training and " + std::to_string(folder.split("val").size()) +
                             " validation images (" + std::to_string(folder.skipped.size()) +
                             " skipped); at least one of each is needed");
  return folder;
}

void write_file_list(const std::string& path, const ImageFolder& folder) {
  std::ofstream out(path);
  out << "# images in '" << tsv_field(folder.dir) << "', split " << folder.split_rule << "\n";
  out << "# in paths, tabs, line breaks and backslashes are written as \\t, \\n, \\r and \\\\\n";
  out << "# split\tpath\twidth\theight\n";
  for (const ImageFile& f : folder.files)
    out << f.split << "\t" << tsv_field(f.path) << "\t" << f.image.w << "\t" << f.image.h << "\n";
  for (const std::string& s : folder.skipped) out << "# skipped: " << tsv_field(s) << "\n";
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

void sample_patches(const std::vector<const ImageFile*>& images, int patch, uint64_t seed,
                    const NoiseDraw& noise, float gray_fraction, torch::Tensor& clean, torch::Tensor& noisy) {
  const int64_t count = clean.size(0);
  const int channels = static_cast<int>(clean.size(1));
  // Bigger images give proportionally more patches.
  std::vector<double> cumulative;
  double total = 0;
  for (const ImageFile* f : images) cumulative.push_back(total += double(f->image.w - patch + 1) * (f->image.h - patch + 1));
  float* clean_data = clean.data_ptr<float>();
  float* noisy_data = noisy.data_ptr<float>();
  const size_t plane = size_t(patch) * patch, size = plane * channels;
  at::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      Rng rng(seed ^ (uint64_t(i) + 1) * 0xD1B54A32D192ED03ull);
      const double pick = rng.uniform() * total;
      const size_t k = std::min<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), pick) - cumulative.begin(),
                                        images.size() - 1);
      const image::Image& img = images[k]->image;
      const int x0 = static_cast<int>(rng.next() % uint64_t(img.w - patch + 1));
      const int y0 = static_cast<int>(rng.next() % uint64_t(img.h - patch + 1));
      const int transform = static_cast<int>(rng.next() % 8);  // bit 0: mirror, bits 1-2: quarter turns
      float* dst = clean_data + i * size;
      for (int c = 0; c < channels; ++c) {
        const float* src = img.channel(c);
        for (int y = 0; y < patch; ++y)
          for (int x = 0; x < patch; ++x) {
            int u = (transform & 1) ? patch - 1 - x : x, v = y;
            for (int r = 0; r < (transform >> 1); ++r) std::swap(u, v), u = patch - 1 - u;
            dst[c * plane + size_t(y) * patch + x] = src[size_t(y0 + v) * img.w + x0 + u];
          }
      }
      const NoiseParams params = draw_noise(noise, rng);
      if (channels == 3 && gray_fraction > 0 && rng.uniform() < gray_fraction) {
        // A gray photo as the app and the CLI give it to a color model: gray content with its own noise, then
        // the engine's synthetic color noise (dae::model_input, σ estimated from the patch as at inference, at a
        // random origin so every patch gets its own draw). The target is the gray content in every channel.
        Tensor gray(1, 1, patch, patch);
        for (size_t k = 0; k < plane; ++k) gray.data[k] = dae::luma(dst[k], dst[plane + k], dst[2 * plane + k]);
        for (int c = 0; c < 3; ++c) std::copy_n(gray.data.data(), plane, dst + c * plane);
        Tensor gray_noisy(1, 1, patch, patch);
        add_noise_image(gray.data.data(), gray_noisy.data.data(), 1, patch, patch, params, rng);
        ChannelOptions origin;
        origin.origin_x = static_cast<int>(rng.next() % (1u << 27));
        origin.origin_y = static_cast<int>(rng.next() % (1u << 27));
        Result<Tensor> rgb = model_input(gray_noisy, 3, origin);
        if (!rgb.ok()) throw std::runtime_error(rgb.error());
        std::copy_n(rgb.value().data.data(), size, noisy_data + i * size);
        continue;
      }
      add_noise_image(dst, noisy_data + i * size, channels, patch, patch, params, rng);
    }
  });
}

}  // namespace dae::trainer
