#!/usr/bin/env bash
# Builds dae-train against a CUDA-enabled LibTorch into build/cuda: PyTorch's own LibTorch (found through python3)
# or an unpacked official LibTorch named by LIBTORCH=/path/to/libtorch. Extra arguments go to cmake's configure.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=${LIBTORCH:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
# Debian's libonnx-dev gives ONNX export; without it the trainer writes safetensors only.
onnx=OFF
if [ -f /usr/include/onnx/onnx_pb.h ]; then onnx=ON; fi
cmake -S . -B build/cuda -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DDAE_BUILD_TESTS=OFF \
  -DDAE_BUILD_BENCHMARKS=OFF -DDAE_WITH_ONNX=$onnx "$@"
cmake --build build/cuda -j "$(nproc)" --target dae_train
echo "built build/cuda/native/trainer/dae-train (ONNX export: $onnx); try: build/cuda/native/trainer/dae-train --device cuda train --help"
