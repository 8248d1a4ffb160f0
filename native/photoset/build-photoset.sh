#!/usr/bin/env bash
# Builds the photo set: downloads the Debian packages named in sources.tsv into a cache (nothing is installed),
# unpacks them and runs dae-photoset, which writes OUT_DIR/{train,val,test}/, files.tsv and LICENSES.md.
#
#   native/photoset/build-photoset.sh OUT_DIR [CACHE_DIR]        (CACHE_DIR defaults to OUT_DIR.cache)
#
# A package already in the cache is reused, so the same cache gives the same set; delete the cache to pick up
# newer package versions. DAE_PHOTOSET names the dae-photoset binary (default: the native preset's build).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT_DIR [CACHE_DIR]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
cache=${2:-$out.cache}
tool=${DAE_PHOTOSET:-$here/../../build/native/native/photoset/dae-photoset}
sources=$here/sources.tsv
if [ ! -x "$tool" ]; then
  echo "error: no dae-photoset at $tool (build it, or set DAE_PHOTOSET)" >&2
  exit 2
fi

mkdir -p "$cache/debs" "$cache/root"
cache=$(cd "$cache" && pwd)
packages=$(grep -v '^#' "$sources" | cut -f1 | grep -v '^$' | sort -u)
for pkg in $packages; do
  deb=$(ls "$cache/debs/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    echo "downloading $pkg"
    # apt-get download writes into the current folder; run it there, and say what to do when apt knows no such package.
    if ! (cd "$cache/debs" && apt-get download -q "$pkg" >/dev/null); then
      echo "error: apt-get download $pkg failed (run apt-get update, or check that the package still exists)" >&2
      exit 1
    fi
    deb=$(ls "$cache/debs/${pkg}"_*.deb | head -n 1)
  fi
  # Unpack once per .deb: the stamp names the file the tree came from.
  root=$cache/root/$pkg
  if [ "$(cat "$root.stamp" 2>/dev/null)" != "$(basename "$deb")" ]; then
    echo "unpacking $(basename "$deb")"
    rm -rf "$root" "$root.stamp"
    dpkg-deb -x "$deb" "$root"
    dpkg-deb -e "$deb" "$root/DEBIAN"
    basename "$deb" > "$root.stamp"
  fi
done

mkdir -p "$out"
status=0
"$tool" --sources "$sources" --root "$cache/root" --out "$out" --threads "${DAE_PHOTOSET_THREADS:-2}" \
  >"$cache/build.log" 2>&1 || status=$?
# The per-file "ok:" lines stay in the log; skips, missing files and the summary are shown.
grep -v '^ok: ' "$cache/build.log" || true
echo "full log: $cache/build.log"
exit $status
