#!/usr/bin/python3
# Non-local means peer for the photo quality table: OpenCV's fastNlMeansDenoising (gray) and
# fastNlMeansDenoisingColored (color) on exactly the noisy photos dae-train evaluates, over a sweep of h (and hColor).
# It is not part of the product; it needs Debian's OpenCV for the system Python:
#
#   apt-get install python3-opencv python3-numpy
#   build/native/native/trainer/dae-train evaluate-photos --write-noisy build/nlm/noisy        # 1. the noisy inputs
#   /usr/bin/python3 native/bench/nlm_peer.py build/nlm/noisy build/nlm/out                     # 2. denoise them all
#   build/native/native/trainer/dae-train --threads 2 evaluate-photos --peers build/nlm/out     # 3. score, best h
#
# Step 1 writes raw little-endian float32 planar images ([channels][height][width], values in [0, 1]) and an
# index.json; this script rounds each to 8 bits (what OpenCV takes), denoises it once per parameter choice and
# writes every output back as raw float32 with its own index.json. Step 3 scores them with the same metrics as
# every other row and keeps the best h per sigma and mode. Give steps 1 and 3 the same --photos/--crop/--limit/--seed.
# Rerunning into the same OUT_DIR keeps the outputs already there for the same noisy input and computes only new
# parameter choices, so a grid can be widened without starting over.
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np

# h in 8-bit units as multiples of the noise level sigma*255. The grids bracket the best values found on the test
# photos (gray about 0.7-1.0, color about 0.4-0.7 with hColor = h); the report says when a grid edge wins.
H_FACTORS_GRAY = [0.6, 0.7, 0.8, 0.9, 1.0, 1.15]
H_FACTORS_COLOR = [0.4, 0.5, 0.6, 0.7, 0.85]
# hColor (the chroma strength of the color version) as multiples of h; 0.5 and 1.5 lost to 1.0 on every photo tried.
H_COLOR_FACTORS = [0.8, 1.0, 1.25]
TEMPLATE_WINDOW, SEARCH_WINDOW = 7, 21


def read_raw(path, channels, height, width):
    data = np.fromfile(path, dtype="<f4")
    if data.size != channels * height * width:
        sys.exit(f"error: {path} holds {data.size} floats, expected {channels * height * width}")
    return data.reshape(channels, height, width)


def inside(base, rel, what):
    """base/rel, refused (exit) when rel is absolute or climbs out of base: index.json files are data, not paths to trust."""
    parts = rel.replace("\\", "/").split("/")
    if not rel or os.path.isabs(rel) or rel.startswith("\\") or ".." in parts or ":" in parts[0]:
        sys.exit(f"error: {what} '{rel}' is not a relative path inside {base}")
    return os.path.join(base, rel)


def plain_name(text, what):
    """A name used as one path component: no separators, not '.' or '..'."""
    if not text or "/" in text or "\\" in text or text in (".", ".."):
        sys.exit(f"error: {what} '{text}' is not a plain name")
    return text


def to_u8(planar):
    return np.clip(np.rint(planar * 255.0), 0, 255).astype(np.uint8)


def denoise(planar, mode, h, h_color):
    if mode == "gray":
        out = cv2.fastNlMeansDenoising(to_u8(planar[0]), None, h, TEMPLATE_WINDOW, SEARCH_WINDOW)
        return out[np.newaxis]
    # OpenCV's color version expects BGR (it denoises in CIELAB); our planes are RGB.
    bgr = np.ascontiguousarray(to_u8(planar)[::-1].transpose(1, 2, 0))
    out = cv2.fastNlMeansDenoisingColored(bgr, None, h, h_color, TEMPLATE_WINDOW, SEARCH_WINDOW)
    return out.transpose(2, 0, 1)[::-1]


def main():
    parser = argparse.ArgumentParser(description="Non-local means peer for dae-train evaluate-photos (see the top of this file).")
    parser.add_argument("noisy_dir", help="folder written by dae-train evaluate-photos --write-noisy")
    parser.add_argument("out_dir", help="where the outputs and their index.json go")
    parser.add_argument("--h-factors-gray", default=",".join(map(str, H_FACTORS_GRAY)),
                        help="gray: h values as multiples of sigma*255 (default %(default)s)")
    parser.add_argument("--h-factors-color", default=",".join(map(str, H_FACTORS_COLOR)),
                        help="color: h values as multiples of sigma*255 (default %(default)s)")
    parser.add_argument("--h-color-factors", default=",".join(map(str, H_COLOR_FACTORS)),
                        help="color mode: hColor as multiples of h (default %(default)s)")
    args = parser.parse_args()
    h_factors = {"gray": [float(x) for x in args.h_factors_gray.split(",")],
                 "color": [float(x) for x in args.h_factors_color.split(",")]}
    h_color_factors = [float(x) for x in args.h_color_factors.split(",")]

    with open(os.path.join(args.noisy_dir, "index.json")) as f:
        index = json.load(f)
    # Outputs of an earlier run into the same folder, by file; kept when they came from the same noisy input.
    done = {}
    try:
        with open(os.path.join(args.out_dir, "index.json")) as f:
            done = {o["file"]: o for o in json.load(f)["outputs"]}
    except (OSError, ValueError, KeyError):
        pass
    outputs = []
    reused = 0
    seconds = {"gray": [0.0, 0], "color": [0.0, 0]}
    for n, entry in enumerate(index["inputs"]):
        mode, sigma = entry["mode"], float(entry["sigma"])
        if mode not in h_factors:
            sys.exit(f"error: input {n} of {args.noisy_dir}/index.json has mode '{mode}', not gray or color")
        plain_name(entry["sigma"], "sigma")
        plain_name(entry["image"], "image name")
        planar = read_raw(inside(args.noisy_dir, entry["file"], "input file"), entry["channels"], entry["height"],
                          entry["width"])
        for hf in h_factors[mode]:
            h = round(hf * sigma * 255.0, 1)
            for hcf in (h_color_factors if mode == "color" else [None]):
                params = {"h": h} if hcf is None else {"h": h, "hColor": round(hcf * h, 1)}
                tag = "_".join(f"{k}{v:g}" for k, v in params.items())
                rel = os.path.join(mode, entry["sigma"], tag, entry["image"] + ".f32")
                old = done.get(rel)
                if old and old["fingerprint"] == entry["fingerprint"] and os.path.exists(os.path.join(args.out_dir, rel)):
                    outputs.append(old)
                    reused += 1
                    continue
                start = time.perf_counter()
                out = denoise(planar, mode, h, params.get("hColor", 0.0))
                seconds[mode][0] += time.perf_counter() - start
                seconds[mode][1] += 1
                os.makedirs(os.path.dirname(os.path.join(args.out_dir, rel)), exist_ok=True)
                (out.astype("<f4") / np.float32(255.0)).tofile(os.path.join(args.out_dir, rel))
                outputs.append({"mode": mode, "sigma": entry["sigma"], "image": entry["image"], "params": params,
                                "file": rel, "fingerprint": entry["fingerprint"]})
        print(f"\r{n + 1} / {len(index['inputs'])}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    result = {
        "name": "non-local means (OpenCV)",
        "description": f"OpenCV {cv2.__version__} fastNlMeansDenoising (gray) / fastNlMeansDenoisingColored (color), "
                       f"templateWindowSize {TEMPLATE_WINDOW}, searchWindowSize {SEARCH_WINDOW}, on the noisy input "
                       f"rounded to 8 bits; h = {h_factors['gray']} (gray) or {h_factors['color']} (color) x sigma*255, "
                       f"hColor = {h_color_factors} x h",
        "outputs": outputs,
    }
    with open(os.path.join(args.out_dir, "index.json"), "w") as f:
        json.dump(result, f, indent=1)
    for mode, (total, calls) in seconds.items():
        if calls:
            print(f"{mode}: {calls} calls, {total / calls:.3f} s per call (OpenCV threads: {cv2.getNumThreads()})")
    print(f"wrote {len(outputs) - reused} outputs ({reused} kept from an earlier run) and index.json to {args.out_dir}")


if __name__ == "__main__":
    main()
