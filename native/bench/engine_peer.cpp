// The engine as a timing peer for benchmarks in other languages (native/bench/ort_bench.mjs): reads commands
// on stdin, answers one line each, so the caller can alternate engine calls with its own.
//   model PATH                       load a model file       -> "ok <channels>"
//   input PATH N C H W               read float32 NCHW input -> "ok"
//   run THREADS                      one forward pass        -> "<milliseconds>"
//   output PATH                      write the last result   -> "ok"
//   flops                            of one pass on the input (multiply-adds x2, as direct convolution) -> "<flops>"
//   peak THREADS                     the kernels' instruction set's multiply-add peak -> "<GFLOP/s> <isa>"
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "dae/engine.h"
#include "dae/ops.h"

int main() {
  using namespace dae;
  std::optional<Model> model;
  Tensor input, output;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command, path;
    words >> command;
    std::string reply = "ok";
    if (command == "model") {
      words >> path;
      Result<Model> m = Model::from_file(path);
      if (m.ok()) {
        model = std::move(*m);
        reply = "ok " + std::to_string(model->arch().channels);
      } else {
        reply = "error " + m.error();
      }
    } else if (command == "input") {
      int n = 0, c = 0, h = 0, w = 0;
      words >> path >> n >> c >> h >> w;
      input = Tensor(n, c, h, w);
      std::ifstream file(path, std::ios::binary);
      if (!file.read(reinterpret_cast<char*>(input.data.data()), sizeof(float) * input.size()))
        reply = "error cannot read " + path;
    } else if (command == "run" && model) {
      RunOptions options;
      words >> options.threads;
      const auto start = std::chrono::steady_clock::now();
      Result<Tensor> out = model->forward(input, options);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (out.ok()) {
        output = std::move(*out);
        reply = std::to_string(ms);
      } else {
        reply = "error " + out.error();
      }
    } else if (command == "output") {
      words >> path;
      std::ofstream file(path, std::ios::binary);
      if (!file.write(reinterpret_cast<const char*>(output.data.data()), sizeof(float) * output.size()))
        reply = "error cannot write " + path;
    } else if (command == "flops" && model) {
      reply = std::to_string(input.n * flops(model->arch(), input.h, input.w));
    } else if (command == "peak") {
      int threads = 1;
      words >> threads;
      reply = std::to_string(ops::peak_gflops(threads, 0.3)) + " " + ops::kernel_isa();
    } else {
      reply = "error unknown command or no model: " + line;
    }
    std::cout << reply << std::endl;
  }
  return 0;
}
