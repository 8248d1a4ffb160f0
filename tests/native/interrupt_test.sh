#!/usr/bin/env bash
# Process-level tests of dae-train under interruption: Ctrl-C, kill -9 then --resume, an unwritable
# output folder, a full disk and a missing dataset. Each case checks that nothing is lost and the message is clear.
# Usage: interrupt_test.sh <dae-train> <dae-denoise>
set -uo pipefail
train=$1
denoise=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
bad() { echo "FAILED: $1"; failed=$((failed + 1)); }

# A small but real run: 4 epochs of 12,000 images (seconds each), so a kill lands mid-training.
base=(--threads 1 train --model seed --limit 12000 --val 300 --batch 50)
args=("${base[@]}" --epochs 4 --seed 7)

# Output of a model on a fixed input: equal weights give equal bytes.
fingerprint() {
  rm -f "$2"
  "$denoise" --model "$1" --raw-in "$work/probe.f32" --shape 1,1,28,28 --raw-out "$2" >/dev/null ||
    bad "cannot run $1"
}
# Both outputs exist and are byte-identical.
same() { [ -s "$1" ] && [ -s "$2" ] && cmp -s "$1" "$2"; }
# A 28x28 gradient with stripes: every weight influences the output.
perl -e 'print pack("f<*", map { (($_ % 28) / 28 + (int($_ / 112) % 2) * 0.3) / 1.3 } 0 .. 783)' >"$work/probe.f32"

"$train" "${args[@]}" --out "$work/ref" >"$work/ref.log" 2>&1 || { cat "$work/ref.log"; bad "reference run"; }
fingerprint "$work/ref/seed.safetensors" "$work/ref.out"
# The probe must tell weights apart: a model from another seed gives other bytes.
"$train" "${base[@]}" --epochs 1 --seed 8 --out "$work/other" >"$work/other.log" 2>&1 || bad "run with another seed"
fingerprint "$work/other/seed.safetensors" "$work/other.out"
[ -s "$work/other.out" ] && ! same "$work/ref.out" "$work/other.out" && ok "the probe tells two models apart" ||
  bad "the probe cannot tell two models apart"

# 1. kill -9 once the first checkpoint exists, then --resume: same weights as the uninterrupted run.
"$train" "${args[@]}" --out "$work/k9" >"$work/k9.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -f "$work/k9/seed.ckpt" ] && break; sleep 0.1; done
sleep 0.2
# Still running (not a zombie) when killed: otherwise the resume below would prove nothing.
state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ "$state" = gone ] || [ "$state" = Z ]; then
  bad "the run finished before the kill"
elif [ -f "$work/k9/seed.ckpt" ]; then
  "$train" "${args[@]}" --out "$work/k9" --resume >>"$work/k9.log" 2>&1 || bad "resume after kill -9 failed"
  fingerprint "$work/k9/seed.safetensors" "$work/k9.out"
  same "$work/ref.out" "$work/k9.out" && ok "kill -9 then --resume gives the uninterrupted weights" ||
    bad "kill -9 then --resume changed the weights"
else
  bad "no checkpoint appeared before the kill"
fi

# 2. Ctrl-C: exits cleanly with a checkpoint and says how to continue; resuming completes identically.
"$train" "${args[@]}" --out "$work/int" >"$work/int.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -f "$work/int/seed.ckpt" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
code=$?
if [ "$code" = 130 ] && [ -f "$work/int/seed.ckpt" ] && grep -q -- "--resume" "$work/int.log"; then
  ok "Ctrl-C saves a checkpoint and exits with 130"
else
  bad "Ctrl-C: exit $code, checkpoint $(ls "$work/int" 2>/dev/null | tr '\n' ' ')"
fi
"$train" "${args[@]}" --out "$work/int" --resume >>"$work/int.log" 2>&1 || bad "resume after Ctrl-C failed"
fingerprint "$work/int/seed.safetensors" "$work/int.out"
same "$work/ref.out" "$work/int.out" && ok "Ctrl-C then --resume gives the uninterrupted weights" ||
  bad "Ctrl-C then --resume changed the weights"

# 3. An unwritable output folder: a clear error, and the files already there are untouched.
mkdir -p "$work/ro"
cp "$work/ref/seed.safetensors" "$work/ro/seed.safetensors"
before=$(sha256sum "$work/ro/seed.safetensors")
chmod 555 "$work/ro"
if [ "$(id -u)" = 0 ]; then
  # root ignores permissions: a path below a regular file cannot be created by anyone.
  target="$work/ro/seed.safetensors/sub"
else
  target="$work/ro"
fi
"$train" "${base[@]}" --epochs 1 --seed 7 --out "$target" >"$work/ro.log" 2>&1
code=$?
chmod 755 "$work/ro"
if [ "$code" != 0 ] && grep -qiE "cannot|not a directory|permission|failed" "$work/ro.log" &&
  [ "$before" = "$(sha256sum "$work/ro/seed.safetensors")" ]; then
  ok "unwritable output folder: clear error, earlier files intact"
else
  bad "unwritable output folder: exit $code: $(tail -2 "$work/ro.log")"
fi

# 4. A full disk, simulated by a file-size limit (writes fail with EFBIG as they would with ENOSPC): a clear
# error, the model already in the folder is untouched and no temporary file is left behind.
mkdir -p "$work/full"
cp "$work/ref/seed.safetensors" "$work/full/seed.safetensors"
before=$(sha256sum "$work/full/seed.safetensors")
(
  ulimit -f 8  # KiB: smaller than any model file
  trap '' XFSZ  # report the error instead of being killed by the signal
  exec "$train" "${base[@]}" --epochs 1 --seed 7 --out "$work/full"
) >"$work/full.log" 2>&1
code=$?
if [ "$code" != 0 ] && grep -q "cannot write" "$work/full.log" && grep -q "is unchanged" "$work/full.log" &&
  [ "$before" = "$(sha256sum "$work/full/seed.safetensors")" ] && ! ls "$work/full"/*.tmp >/dev/null 2>&1; then
  ok "full disk: clear error, earlier model intact, no temporary file left"
else
  bad "full disk: exit $code: $(tail -2 "$work/full.log"); files: $(ls "$work/full" | tr '\n' ' ')"
fi

# 5. A missing dataset names the file and how to get it.
"$train" "${args[@]}" --data "$work/nowhere" --out "$work/nodata" >"$work/nodata.log" 2>&1
code=$?
if [ "$code" != 0 ] && grep -q "train-images-idx3-ubyte.gz" "$work/nodata.log" &&
  grep -q "apt-get install dataset-fashion-mnist" "$work/nodata.log"; then
  ok "missing dataset: names the file and the package"
else
  bad "missing dataset: exit $code: $(tail -2 "$work/nodata.log")"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
