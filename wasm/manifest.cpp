// Reads models/models.json leniently: required fields are checked, anything else is kept only if it can be shown.
#include "manifest.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>

using nlohmann::json;

const ModelInfo* Manifest::find(std::string_view name) const {
  for (const ModelInfo& m : models)
    if (m.name == name) return &m;
  return nullptr;
}

const ModelInfo* Manifest::photo() const {
  return photo_name.empty() ? nullptr : find(photo_name);
}

const ModelInfo* Manifest::photo_gray() const {
  return photo_gray_name.empty() ? photo() : find(photo_gray_name);
}

const ModelInfo* Manifest::photo_camera(int channels) const {
  const std::string& name = channels == 1 ? photo_gray_camera_name : photo_camera_name;
  if (const ModelInfo* m = name.empty() ? nullptr : find(name)) return m;
  return channels == 1 ? photo_gray() : photo();
}

static std::string format_value(const json& v) {
  char buf[64];
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
    return buf;
  }
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

// Nested quality tables ({"gaussian": {"psnr": 27.1}}) become "gaussian / psnr" rows.
static void flatten(const json& v, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + " / " + it.key(), out);
  } else if (!v.is_array()) {
    out.emplace_back(prefix, format_value(v));
  }
}

static void find_curves(const json& v, const std::string& key,
                        std::vector<std::pair<std::string, std::vector<float>>>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) find_curves(it.value(), it.key(), out);
  } else if (v.is_array() && v.size() >= 2 && key.find("loss") != std::string::npos) {
    std::vector<float> values;
    for (const json& x : v)
      if (x.is_number()) values.push_back(x.get<float>());
    if (values.size() == v.size()) out.emplace_back(key, std::move(values));
  }
}

dae::Result<Manifest> parse_manifest(std::string_view text) {
  static const std::string kFile = "models/models.json";
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return dae::Status::Error(kFile + " is not valid JSON");
  if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_array() || doc["models"].empty())
    return dae::Status::Error(kFile + " needs a non-empty \"models\" list of {name, file} entries");
  Manifest m;
  if (doc.contains("default") && doc["default"].is_string()) m.default_name = doc["default"].get<std::string>();
  if (doc.contains("default_photo") && doc["default_photo"].is_string())
    m.photo_name = doc["default_photo"].get<std::string>();
  if (doc.contains("default_photo_gray") && doc["default_photo_gray"].is_string())
    m.photo_gray_name = doc["default_photo_gray"].get<std::string>();
  if (doc.contains("default_photo_camera") && doc["default_photo_camera"].is_string())
    m.photo_camera_name = doc["default_photo_camera"].get<std::string>();
  if (doc.contains("default_photo_gray_camera") && doc["default_photo_gray_camera"].is_string())
    m.photo_gray_camera_name = doc["default_photo_gray_camera"].get<std::string>();
  for (const json& e : doc["models"]) {
    const std::string where = kFile + ": model " + std::to_string(m.models.size() + 1);
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("file") ||
        !e["file"].is_string())
      return dae::Status::Error(where + " needs a string \"name\" and \"file\"");
    ModelInfo info;
    info.name = e["name"].get<std::string>();
    info.file = e["file"].get<std::string>();
    if (info.name.empty() || m.find(info.name))
      return dae::Status::Error(where + ": the name '" + info.name + "' is empty or used twice");
    if (e.contains("channels")) {
      if (!e["channels"].is_number_integer() || (e["channels"] != 1 && e["channels"] != 3))
        return dae::Status::Error(where + " ('" + info.name + "'): \"channels\" must be 1 or 3");
      info.channels = e["channels"].get<int>();
    }
    if (e.contains("onnx") && e["onnx"].is_string()) info.onnx = e["onnx"].get<std::string>();
    if (e.contains("train_command") && e["train_command"].is_string())
      info.train_command = e["train_command"].get<std::string>();
    if (e.contains("noise_train") && e["noise_train"].is_string())
      info.noise_train = e["noise_train"].get<std::string>();  // also shown as a fact below
    if (e.contains("description") && e["description"].is_string())
      info.description = e["description"].get<std::string>();
    if (e.contains("params") && e["params"].is_number()) info.params = e["params"].get<int64_t>();
    if (e.contains("bytes") && e["bytes"].is_number()) info.bytes = e["bytes"].get<int64_t>();
    if (e.contains("quality")) flatten(e["quality"], "", info.quality);
    if (e.contains("snapshots")) {
      const json& h = e["snapshots"];
      if (!h.is_object() || !h.contains("file") || !h["file"].is_string() || !h.contains("bytes") ||
          !h["bytes"].is_number_integer() || h["bytes"].get<int64_t>() <= 0)
        return dae::Status::Error(where + " ('" + info.name + "'): \"snapshots\" needs a \"file\" and its \"bytes\"");
      info.snapshots_file = h["file"].get<std::string>();
      info.snapshots_bytes = h["bytes"].get<int64_t>();
      if (h.contains("count") && h["count"].is_number_integer()) info.snapshots_count = h["count"].get<int64_t>();
      if (h.contains("steps") && h["steps"].is_number_integer()) info.snapshots_steps = h["steps"].get<int64_t>();
    }
    // Other plain facts the trainer records (epochs, loss, training noise...) are shown as they are.
    static const char* const kShownElsewhere[] = {"name",   "file",  "onnx",    "train_command", "description",
                                                  "params", "bytes", "quality", "channels"};
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (it.value().is_object() || it.value().is_array()) continue;
      if (std::find(std::begin(kShownElsewhere), std::end(kShownElsewhere), it.key()) != std::end(kShownElsewhere))
        continue;
      info.facts.emplace_back(it.key(), format_value(it.value()));
    }
    find_curves(e, "", info.curves);
    m.models.push_back(std::move(info));
  }
  if (m.default_name.empty() || !m.find(m.default_name)) m.default_name = m.models.front().name;
  const ModelInfo* photo = m.find(m.photo_name);
  if (!photo || photo->channels != 3) {
    m.photo_name.clear();
    for (const ModelInfo& e : m.models)
      if (e.channels == 3) {
        m.photo_name = e.name;
        break;
      }
  }
  const ModelInfo* photo_gray = m.find(m.photo_gray_name);
  if (!photo_gray || photo_gray->channels != 1) m.photo_gray_name.clear();
  return m;
}
