// Fast kernels against the scalar references, per built-in model and image size: ms, speed-up, GFLOP/s.
// Writes the table to build/bench/kernels.md (or the folder given as the first argument).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bench_util.h"
#include "dae/ops.h"

int main(int argc, char** argv) {
  using namespace dae;
  const std::string out_dir = argc > 1 ? argv[1] : "build/bench";
  std::ostringstream table;
  table << "| model | image | batch | reference ms | fast ms | speed-up | fast GFLOP/s "
           "|\n|---|---|---|---|---|---|---|\n";
  for (const std::string name : {"seed", "conv", "unet"}) {
    Result<bench::LoadedWeights> loaded = bench::load_weights("web/models/" + name + ".safetensors", name);
    Result<Model> model = loaded.ok() ? Model::from_weights(loaded->arch, loaded->weights) : loaded.status();
    if (!model.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), model.error().c_str());
      return 1;
    }
    for (auto [n, side] : {std::pair{1, 28}, std::pair{256, 28}, std::pair{1, 256}}) {
      const Tensor in = bench::random_images(n, 1, side, side, 1);
      const double gflop = flops(model->arch(), side, side) * n * 1e-9;
      const double fast = bench::median_seconds([&] { (void)model->forward(in); });
      const double ref = bench::median_seconds([&] { (void)model->forward(in, RunOptions{true}); }, 1.0, 2);
      char row[256];
      std::snprintf(row, sizeof row, "| %s | %dx%d | %d | %.3f | %.3f | %.1fx | %.1f |\n", name.c_str(), side, side, n,
                    ref * 1e3, fast * 1e3, ref / fast, gflop / fast);
      table << row;
      std::fputs(row, stdout);
      std::fflush(stdout);
    }
  }
  std::filesystem::create_directories(out_dir);
  std::ofstream(out_dir + "/kernels.md") << "# Engine kernels: fast vs scalar reference (" << ops::kernel_isa()
                                         << ", 1 thread)\n\n"
                                         << table.str();
  return 0;
}
