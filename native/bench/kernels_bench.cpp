// Fast kernels against the scalar references, per built-in model and image size: ms, speed-up, GFLOP/s.
// Then GEMM vs Winograd per 3×3 layer shape. Writes build/bench/kernels.md (or the folder given as the
// first argument); a second argument `--layers` prints the layer table only.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bench_util.h"
#include "dae/ops.h"

namespace {

// The two fast convolution algorithms on each 3×3 layer shape of the built-in models: the measurements
// behind conv2d's choice of algorithm.
std::string conv_algorithm_table() {
  using namespace dae;
  std::ostringstream table;
  table << "\n| cin | cout | image | batch | GEMM ms | Winograd ms | Winograd speed-up | GEMM GFLOP/s |\n"
           "|---|---|---|---|---|---|---|---|\n";
  const std::pair<int, int> shapes[] = {{1, 16}, {16, 16}, {16, 32}, {32, 32}, {64, 32}, {48, 16}, {16, 1}, {8, 8}};
  for (auto [cin, cout] : shapes)
    for (auto [n, side] : {std::pair{1, 7}, std::pair{1, 28}, std::pair{16, 28}, std::pair{1, 128}}) {
      const ops::ConvParams p{cin, cout, 3, 1, 1, 0, Act::Relu};
      const Tensor in = bench::random_images(n, cin, side, side, 3);
      std::vector<float> weight(size_t(cout) * cin * 9, 0.01f), bias(cout, 0.1f);
      Tensor out;
      const auto [gemm, wino] =
          bench::median_seconds_interleaved([&] { ops::conv2d_gemm(in, weight.data(), bias.data(), p, out); },
                                            [&] { ops::conv2d_winograd(in, weight.data(), bias.data(), p, out); }, 0.4);
      const double gflop = 2.0 * cin * cout * 9 * side * side * n * 1e-9;
      char row[256];
      std::snprintf(row, sizeof row, "| %d | %d | %dx%d | %d | %.4f | %.4f | %.2fx | %.1f |\n", cin, cout, side, side,
                    n, gemm * 1e3, wino * 1e3, gemm / wino, gflop / gemm);
      table << row;
      std::fputs(row, stdout);
      std::fflush(stdout);
    }
  return table.str();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dae;
  const std::string out_dir = argc > 1 ? argv[1] : "build/bench";
  const bool layers_only = argc > 2 && std::string(argv[2]) == "--layers";
  const std::string layers = conv_algorithm_table();
  if (layers_only) return 0;
  std::ostringstream table;
  table << "| model | image | batch | reference ms | fast ms | speed-up | fast GFLOP/s "
           "|\n|---|---|---|---|---|---|---|\n";
  for (const std::string name : {"seed", "conv", "unet", "unet32"}) {
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
                                         << table.str() << layers;
  return 0;
}
