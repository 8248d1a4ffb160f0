#include "dae/snapshots.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "dae/file.h"
#include "dae/safetensors.h"
#include "json_depth.h"

namespace dae {

std::string snapshot_tensor_name(size_t index, const std::string& name) {
  return "s" + std::to_string(index) + "/" + name;
}

std::string snapshots_path_for(const std::string& model_path) {
  static const std::string ext = ".safetensors";
  const bool has_ext = model_path.size() > ext.size() &&
                       model_path.compare(model_path.size() - ext.size(), ext.size(), ext) == 0;
  return (has_ext ? model_path.substr(0, model_path.size() - ext.size()) : model_path) + ".snapshots" + ext;
}

std::string snapshot_list_json(const std::vector<SnapshotInfo>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const SnapshotInfo& s : list)
    out.push_back({{"step", s.step},
                   {"epoch", s.epoch},
                   {"train_loss", s.train_loss},
                   {"val_loss", s.val_loss},
                   {"val_psnr", s.val_psnr},
                   {"run", s.run}});
  return out.dump();
}

Result<std::vector<SnapshotInfo>> parse_snapshot_list(const std::string& text) {
  const std::string where = std::string("snapshots: '") + kSnapshotsMetadataKey + "'";
  if (!detail::json_depth_within(text)) return Status::Error(where + " is nested too deeply");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Status::Error(where + " is not a JSON array");
  if (j.empty()) return Status::Error(where + " lists no snapshots");
  if (j.size() > kMaxSnapshots)
    return Status::Error(where + " lists " + std::to_string(j.size()) + " snapshots, more than " +
                         std::to_string(kMaxSnapshots));
  std::vector<SnapshotInfo> list;
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& e = j[i];
    const std::string at = where + " entry " + std::to_string(i);
    if (!e.is_object()) return Status::Error(at + " is not an object");
    SnapshotInfo s;
    auto number = [&](const char* key, double& out) -> Status {
      auto it = e.find(key);
      if (it == e.end() || !it->is_number()) return Status::Error(at + " has no number '" + key + "'");
      out = it->get<double>();
      if (!std::isfinite(out)) return Status::Error(at + ": '" + key + "' is not finite");
      return Status::Ok();
    };
    auto it = e.find("step");
    if (it == e.end() || !it->is_number_integer() || it->get<int64_t>() < 0)
      return Status::Error(at + ": 'step' must be a whole number >= 0");
    s.step = it->get<int64_t>();
    if (!list.empty() && s.step <= list.back().step)
      return Status::Error(at + ": step " + std::to_string(s.step) + " does not follow step " +
                           std::to_string(list.back().step) + " (steps must increase)");
    for (auto [key, dst] : {std::pair{"epoch", &s.epoch}, std::pair{"train_loss", &s.train_loss},
                            std::pair{"val_loss", &s.val_loss}, std::pair{"val_psnr", &s.val_psnr}})
      if (Status st = number(key, *dst); !st.ok()) return st;
    auto run = e.find("run");
    if (run == e.end() || !run->is_number_integer() || run->get<int64_t>() < 0 || run->get<int64_t>() > 1000)
      return Status::Error(at + ": 'run' must be a whole number in [0, 1000]");
    s.run = run->get<int>();
    list.push_back(s);
  }
  return list;
}

Result<Snapshots> Snapshots::from_safetensors(const uint8_t* bytes, size_t size) {
  Result<SafetensorsView> view = parse_safetensors(bytes, size);
  if (!view.ok()) return Status::Error("snapshots: " + view.error());
  auto list_it = view->metadata.find(kSnapshotsMetadataKey);
  if (list_it == view->metadata.end())
    return Status::Error(std::string("snapshots: the file has no '") + kSnapshotsMetadataKey +
                         "' metadata, so it is not a training history from dae-train --snapshots");
  Result<std::vector<SnapshotInfo>> list = parse_snapshot_list(list_it->second);
  if (!list.ok()) return list.status();
  auto arch_it = view->metadata.find(kArchMetadataKey);
  if (arch_it == view->metadata.end())
    return Status::Error(std::string("snapshots: the file has no '") + kArchMetadataKey + "' metadata");
  Result<Arch> arch = arch_from_json(arch_it->second);
  if (!arch.ok()) return Status::Error("snapshots: " + arch.error());
  if (Status s = validate(*arch); !s.ok()) return Status::Error("snapshots: " + s.message());

  Snapshots out;
  const std::vector<ParamSpec> specs = param_specs(*arch);
  size_t expected = 0;
  for (size_t i = 0; i < list->size(); ++i) {
    std::map<std::string, std::vector<float>> weights;
    for (const ParamSpec& p : specs) {
      const std::string name = snapshot_tensor_name(i, p.name);
      auto it = view->tensors.find(name);
      if (it == view->tensors.end()) return Status::Error("snapshots: tensor '" + name + "' is missing");
      if (it->second.shape != p.shape)
        return Status::Error("snapshots: tensor '" + name + "' does not have the architecture's shape");
      Result<std::vector<float>> values = view->floats(name);
      if (!values.ok()) return Status::Error("snapshots: " + values.error());
      for (float v : *values)
        if (!std::isfinite(v)) return Status::Error("snapshots: tensor '" + name + "' holds NaN or infinite values");
      weights[p.name] = std::move(*values);
      ++expected;
    }
    out.weights_.push_back(std::move(weights));
  }
  if (view->tensors.size() != expected)
    return Status::Error("snapshots: the file holds " + std::to_string(view->tensors.size()) + " tensors, " +
                         std::to_string(list->size()) + " snapshots of this architecture need " +
                         std::to_string(expected));
  out.arch_ = std::move(*arch);
  out.info_ = std::move(*list);
  return out;
}

Result<Snapshots> Snapshots::from_file(const std::string& path) {
  Result<std::vector<uint8_t>> bytes = read_file_capped(path, kMaxModelBytes);
  if (!bytes.ok()) return Status::Error("snapshots: " + bytes.error());
  Result<Snapshots> s = from_safetensors(bytes->data(), bytes->size());
  if (!s.ok()) return Status::Error(path + ": " + s.error());
  return s;
}

Result<Model> Snapshots::model(size_t i) const {
  if (i >= weights_.size())
    return Status::Error("snapshots: no snapshot " + std::to_string(i) + " (the file has " +
                         std::to_string(weights_.size()) + ")");
  return Model::from_weights(arch_, weights_[i]);
}

bool Snapshots::same_arch(const Model& model) const {
  return arch_to_json(arch_) == arch_to_json(model.arch());
}

}  // namespace dae
