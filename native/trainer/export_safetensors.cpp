// Safetensors writing and reading for the trainer, built on the engine's checked parser for the reading side.
#include "export_safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "dae/engine.h"
#include "dae/file.h"
#include "dae/half.h"
#include "dae/noise.h"
#include "dae/safetensors.h"

namespace dae::trainer {

// Written to path.tmp, flushed to the disk, then renamed over path: a crash, a full disk or a size limit leaves
// either the old file or the new one, never a mix, and no temporary file behind.
void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write '" + tmp + "': " + std::strerror(errno));
  // `err` is the failed call's errno; `fd` is closed by then.
  const auto discard = [&](const char* what, int err) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(std::string("cannot ") + what + " '" + tmp + "': " + std::strerror(err) + "; '" + path +
                             "' is unchanged");
  };
  const auto close_and_discard = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    discard(what, err);
  };
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) close_and_discard("write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) close_and_discard("flush");
  if (::close(fd) != 0) discard("write", errno);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  }
  // The rename is only durable once the directory's entry is: without this a power loss can bring back the old file.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);  // best effort: some file systems refuse fsync on directories, and the data itself is synced
    ::close(dir);
  }
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata, StoreAs store) {
  auto half = [&](const NamedTensor& t) { return t.store.value_or(store) == StoreAs::F16; };
  nlohmann::ordered_json header;
  std::map<std::string, std::string> meta = metadata;
  if (meta.count(kArchMetadataKey)) meta[kFormatMetadataKey] = std::to_string(kFormatVersion);  // model files only
  if (!meta.empty()) header["__metadata__"] = meta;
  uint64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    int64_t count = 1;
    for (int64_t d : t.shape) count *= d;
    if (count != static_cast<int64_t>(t.data.size()))
      throw std::runtime_error("tensor '" + t.name + "' has " + std::to_string(t.data.size()) +
                               " values for its shape");
    const uint64_t bytes = t.data.size() * (half(t) ? 2 : 4);
    header[t.name] = {{"dtype", half(t) ? "F16" : "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the format recommends.
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + json.size() + offset);
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out += json;
  for (const NamedTensor& t : tensors) {
    static_assert(sizeof(float) == 4, "F32 needs 4-byte floats");
    if (half(t)) {
      for (float v : t.data) {
        const uint16_t h = float_to_half(v);
        if (std::isfinite(v) && (h & 0x7C00u) == 0x7C00u)
          throw std::runtime_error("tensor '" + t.name + "' holds " + std::to_string(v) + ", beyond the F16 range");
        out.push_back(static_cast<char>(h & 0xFF));
        out.push_back(static_cast<char>(h >> 8));
      }
      continue;
    }
    for (float v : t.data) {
      uint32_t u;
      std::memcpy(&u, &v, 4);
      for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xFF));
    }
  }
  write_file_atomic(path, out);
}

NamedTensor to_named(const std::string& name, const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  NamedTensor nt{name, c.sizes().vec(), {}, {}};
  nt.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return nt;
}

void write_model_file(const std::string& path, GraphModule& model, std::map<std::string, std::string> extra,
                      StoreAs store) {
  std::vector<NamedTensor> tensors;
  for (auto& [name, t] : model->named_weights()) {
    // The engine refuses such a file anyway; refusing to write it keeps the last good one in place.
    if (!torch::isfinite(t).all().item<bool>())
      throw std::runtime_error("not writing '" + path + "': the model's tensor '" + name +
                               "' holds NaN or infinite values");
    tensors.push_back(to_named(name, t));
  }
  extra[kArchMetadataKey] = arch_to_json(model->arch());
  extra["dae.name"] = model->arch().name;
  extra["dae.params"] = std::to_string(param_count(model->arch()));
  write_safetensors(path, tensors, extra, store);
}

GraphModule load_model_file(const std::string& path, std::map<std::string, std::string>* metadata) {
  // The engine's loader checks everything (arch, shapes, finite values); reuse it on the bytes read once, then
  // copy the weights from the same bytes.
  Result<std::vector<uint8_t>> read = read_file_capped(path, kMaxModelBytes);
  if (!read.ok()) throw std::runtime_error("model: " + read.error());
  const std::vector<uint8_t>& bytes = *read;
  Result<Model> engine_model = Model::from_safetensors(bytes.data(), bytes.size());
  if (!engine_model.ok()) throw std::runtime_error(path + ": " + engine_model.error());
  Result<SafetensorsView> view = parse_safetensors(bytes.data(), bytes.size());
  if (!view.ok()) throw std::runtime_error(path + ": " + view.error());
  GraphModule model(engine_model->arch());
  torch::NoGradGuard no_grad;
  auto params = model->named_parameters(true);
  for (const ParamSpec& spec : param_specs(model->arch())) {
    Result<std::vector<float>> values = view->floats(spec.name);
    if (!values.ok()) throw std::runtime_error(path + ": " + values.error());
    torch::Tensor src = torch::from_blob(values->data(), spec.shape, torch::kFloat32);
    params[spec.name].copy_(src);
  }
  if (metadata) *metadata = engine_model->metadata();
  return model;
}

void write_golden(const std::string& path, GraphModule& model, const Split& test, uint64_t seed) {
  Rng rng(seed);
  const NoiseParams noise{NoiseKind::Gaussian, 0.3f};
  // A C-channel model sees C different test images as its channels, so every channel carries real structure.
  const int64_t c = model->arch().channels;
  if (test.size() < 4 * c) throw std::runtime_error("golden tensors need at least " + std::to_string(4 * c) + " test images");
  torch::Tensor input = test.images.slice(0, 0, 2 * c).reshape({2, c, 28, 28}).contiguous().clone();
  add_noise(input.data_ptr<float>(), input.data_ptr<float>(), input.numel(), noise, rng);
  // A 20x36 crop across two images placed side by side: a multiple of 4 that is not square.
  torch::Tensor pair = test.images.slice(0, 2 * c, 4 * c).reshape({2, c, 28, 28});
  torch::Tensor wide = torch::cat({pair[0], pair[1]}, 2);  // [c, 28, 56]
  torch::Tensor odd = wide.slice(1, 4, 24).slice(2, 10, 46).unsqueeze(0).contiguous().clone();
  add_noise(odd.data_ptr<float>(), odd.data_ptr<float>(), odd.numel(), noise, rng);
  model->eval();
  model->to(torch::kCPU);
  torch::NoGradGuard no_grad;
  std::vector<NamedTensor> tensors = {to_named("input", input), to_named("output", model->forward(input)),
                                      to_named("input_odd", odd), to_named("output_odd", model->forward(odd))};
  write_safetensors(path, tensors, {{"dae.name", model->arch().name}, {"dae.noise", "gaussian 0.3"}});
}

void write_layer_outputs(const std::string& path, const std::string& model_path, const Split& test, uint64_t seed) {
  Result<Model> model = Model::from_file(model_path);
  if (!model.ok()) throw std::runtime_error(model.error());
  const int c = model->arch().channels;
  if (test.size() < c) throw std::runtime_error("layer outputs need at least " + std::to_string(c) + " test images");
  Rng rng(seed);
  Tensor input(1, c, 28, 28);
  std::copy_n(test.images.data_ptr<float>(), input.size(), input.data.begin());
  add_noise(input.data.data(), input.data.data(), input.size(), NoiseParams{NoiseKind::Gaussian, 0.3f}, rng);
  std::vector<NamedTensor> tensors = {{"input", {1, c, 28, 28}, input.data, {}}};
  RunOptions options;
  options.observer = [&](int node, const float* data, int oc, int h, int w) {
    tensors.push_back({model->arch().nodes[static_cast<size_t>(node)].name,
                       {1, oc, h, w},
                       std::vector<float>(data, data + static_cast<size_t>(oc) * h * w),
                       {}});
  };
  Result<Tensor> out = model->forward(pad_for_model(model->arch(), input), options);
  if (!out.ok()) throw std::runtime_error(model_path + ": " + out.error());
  write_safetensors(path, tensors, {{"dae.name", model->arch().name}, {"dae.noise", "gaussian 0.3"}});
}

}  // namespace dae::trainer
