#!/usr/bin/env bash
# The photo models' training, ready for whatever GPU time there is: builds dae-train (on a CUDA machine with PyTorch,
# through build-cuda.sh), then trains the runs below one after another, each within its share of a time budget, and
# leaves every run's checkpoint, model file and log in OUT_DIR to bring back and export. Run it again with the same
# OUT_DIR (on the same or another machine, the folder brought along) and each run goes on from its checkpoint
# (--resume); a finished run is skipped.
#
#   native/trainer/gpu-recipe.sh SECONDS [OUT_DIR]          (OUT_DIR defaults to build/gpu-recipe)
#
# Environment: IMAGES (default build/photoset, made by `make photoset`: a GPU machine without network needs it
# brought along), DEVICE (default cuda; cpu tries the recipe here with a tiny budget), DAE_TRAIN (a dae-train to use
# instead of building one), SCALE (default 1: patches per epoch are multiplied by it, 0.01 for a quick check),
# RUNS (default all: a comma-separated subset of the run names below).
#
# Stopping: each run gets `timeout --signal=INT` with its share; dae-train saves a checkpoint when interrupted and
# writes its model file at every epoch's end, so what a run reached is never lost.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 1 ] || [ $# -gt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
  echo "usage: $0 SECONDS [OUT_DIR]   (SECONDS: the whole budget, a positive integer)" >&2
  exit 2
fi
budget=$1
out=${2:-build/gpu-recipe}
images=${IMAGES:-build/photoset}
device=${DEVICE:-cuda}
scale=${SCALE:-1}
start=$SECONDS

if [ ! -d "$images/train" ] || [ ! -d "$images/val" ]; then
  echo "error: no photo set at $images (make photoset, or set IMAGES to a folder with train/ and val/)" >&2
  exit 2
fi
if [ -n "${DAE_TRAIN:-}" ]; then
  train=$DAE_TRAIN
elif [ "$device" = cuda ]; then
  native/trainer/build-cuda.sh
  train=build/cuda/native/trainer/dae-train
else
  train=build/native/native/trainer/dae-train
fi
if [ ! -x "$train" ]; then
  echo "error: no dae-train at $train" >&2
  exit 2
fi
threads=$(nproc)
patches() { awk -v n="$1" -v s="$scale" 'BEGIN { p = int(n * s); print (p < 64 ? 64 : p) }'; }

# name|model|arguments. Color first: most uploads are color photos. Every run mixes the noise a camera makes (with
# and without JPEG) with Gaussian noise and impulses, from scratch on the photo set, at 128 px.
runs=(
  "photo-camera|photo|--noise gaussian,camera,camera-jpeg,salt-pepper --sigma-range 0,0.4 --camera-range 0,0.06 --patch 128 --batch 32 --patches $(patches 28800) --epochs 30 --lr 1e-3 --warmup 200 --ema 0.999 --val $(patches 512) --seed 11"
  "photo-gray-camera|photo-gray|--noise gaussian,camera,camera-jpeg,salt-pepper --sigma-range 0,0.4 --camera-range 0,0.06 --patch 128 --batch 32 --patches $(patches 28800) --epochs 30 --lr 1e-3 --warmup 200 --ema 0.999 --val $(patches 512) --seed 12"
)
selected=${RUNS:-all}
todo=()
for r in "${runs[@]}"; do
  name=${r%%|*}
  if [ "$selected" = all ] || [[ ",$selected," == *",$name,"* ]]; then todo+=("$r"); fi
done
if [ ${#todo[@]} -eq 0 ]; then
  echo "error: RUNS='$selected' names none of: $(printf '%s ' "${runs[@]%%|*}")" >&2
  exit 2
fi

mkdir -p "$out"
left=${#todo[@]}
for r in "${todo[@]}"; do
  IFS='|' read -r name model args <<<"$r"
  dir=$out/$name
  mkdir -p "$dir"
  if [ -f "$dir/done" ]; then
    echo "$name: finished earlier ($dir)"
    left=$((left - 1))
    continue
  fi
  remaining=$((budget - (SECONDS - start)))
  share=$((remaining / left))
  left=$((left - 1))
  if [ "$share" -lt 30 ]; then
    echo "$name: skipped, ${remaining}s of the budget left"
    continue
  fi
  resume=()
  if [ -f "$dir/$model.ckpt" ]; then resume=(--resume); fi
  echo "$name: up to ${share}s on $device${resume:+ (resuming)}; log $dir/train.log"
  status=0
  # shellcheck disable=SC2086 # the run's arguments are words
  timeout --signal=INT --kill-after=120 "$share" "$train" --device "$device" --threads "$threads" train \
    --model "$model" --images "$images" $args --out "$dir" "${resume[@]}" >>"$dir/train.log" 2>&1 || status=$?
  tail -n 2 "$dir/train.log" | sed "s/^/$name: /"
  if [ "$status" -eq 0 ]; then
    touch "$dir/done"
  elif [ "$status" -eq 124 ] || [ "$status" -eq 130 ]; then
    echo "$name: stopped at its share of the budget; run the recipe again to go on"
  else
    echo "$name: dae-train failed (exit $status), see $dir/train.log" >&2
  fi
done
echo "done in $((SECONDS - start))s: $out"
ls -l "$out"/*/*.safetensors 2>/dev/null || true
