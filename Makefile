# Entry points: `make demo` builds and serves the browser app, `make test` builds everything and runs
# every test. Both first install whatever is missing (Debian packages, Dear ImGui's sources, npm packages).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PORT ?= 8000
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export NODE_PATH := /usr/share/nodejs
export MALLOC_MMAP_THRESHOLD_ := 33554432
export MALLOC_TRIM_THRESHOLD_ := 4294967296
export MALLOC_TOP_PAD_ := 268435456

APT_PACKAGES := cmake ninja-build g++ clang libclang-rt-14-dev libgtest-dev libbenchmark-dev zlib1g-dev \
  nlohmann-json3-dev libstb-dev libcli11-dev libtorch-dev libopenblas0-openmp dataset-fashion-mnist \
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata emscripten wabt chromium nodejs \
  dpkg-dev xz-utils libgloo-dev
IMGUI_DIR := build/third_party/imgui

.PHONY: demo test test-browser deps native wasm wasm-threads site asan fuzz photoset screenshots clean

demo: deps site
	node web/serve.mjs --root build/site --port $(PORT)

test: deps native wasm site asan
	node tests/docs/check-links.mjs
	ctest --test-dir build/native --output-on-failure -j1
	ctest --test-dir build/wasm --output-on-failure -j1
	ctest --test-dir build/wasm-threads --output-on-failure -j1
	ctest --test-dir build/asan --output-on-failure -j1
	node tests/browser/run.mjs --site build/site --out build/browser

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
# Dear ImGui from Debian's source package, through deb-src twins of this machine's own Debian entries
# (.ci/apt-deb-src.mjs tells Debian's archive by the Release files apt fetched, hence the update when there are none).
	@if [ ! -f $(IMGUI_DIR)/imgui.cpp ]; then \
	  compgen -G '/var/lib/apt/lists/*Release' >/dev/null || $(SUDO) apt-get update -qq; \
	  $(SUDO) node .ci/apt-deb-src.mjs --write; \
	  $(SUDO) apt-get update -qq; \
	  mkdir -p build/third_party && cd build/third_party && \
	  apt-get source --download-only -qq imgui && rm -rf imgui && mkdir imgui && \
	  tar -xf imgui_*.orig.tar.xz -C imgui --strip-components=1; \
	fi
	@if [ -f web/package-lock.json ] && { [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; }; then \
	  cd web && npm ci --no-audit --no-fund --loglevel=error; \
	fi

native:
	cmake --preset native >/dev/null
	cmake --build build/native -j $(JOBS)

wasm:
	cmake --preset wasm -DDAE_IMGUI_DIR=$(CURDIR)/$(IMGUI_DIR) >/dev/null
	cmake --build build/wasm -j $(JOBS)

# The same with -pthread: the threaded app (dae_app_threads, for cross-origin isolated pages) and the engine suites.
wasm-threads:
	cmake --preset wasm-threads -DDAE_IMGUI_DIR=$(CURDIR)/$(IMGUI_DIR) >/dev/null
	cmake --build build/wasm-threads -j $(JOBS)

# Only the browser tests: builds the site and runs tests/browser in headless Chromium (screenshots in build/browser).
test-browser: deps native site
	node tests/browser/run.mjs --site build/site --out build/browser

# The static site: page, both builds of the app, shipped models and ONNX Runtime Web's files, ready for any static host.
site: wasm wasm-threads
	node web/build-site.mjs --app build/wasm/wasm --app-threads build/wasm-threads/wasm --out build/site

# The photo set in build/photoset from the Debian packages named in native/photoset/sources.tsv. The packages are
# only downloaded (apt-get download) and unpacked into build/photoset.cache, never installed.
photoset: deps
	cmake --preset native >/dev/null
	cmake --build build/native -j $(JOBS) --target dae_photoset
	native/photoset/build-photoset.sh build/photoset build/photoset.cache

# Engine and parser tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS)

# Each libFuzzer target for FUZZ_SECONDS (0: no time limit) or FUZZ_RUNS executions (-1: no limit), whichever
# comes first (FUZZ_TARGETS picks some), its corpus seeded from the committed bad-input files.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= -1
FUZZ_TARGETS ?= model_load arch_json idx denoise image
fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build build/fuzz -j $(JOBS)
	mkdir -p build/fuzz/corpus/model_load build/fuzz/corpus/arch_json build/fuzz/corpus/idx build/fuzz/corpus/denoise \
	  build/fuzz/corpus/image build/fuzz/artifacts
	cp -n tests/data/bad-models/*.safetensors build/fuzz/corpus/model_load/
	cp -n tests/data/bad-idx/*.idx tests/data/bad-idx/*.idx.gz build/fuzz/corpus/idx/
	cp -n tests/data/bad-images/*.png tests/data/bad-images/*.tga tests/data/bad-images/*.ppm \
	  tests/data/bad-images/*.jpg build/fuzz/corpus/image/
	for t in $(FUZZ_TARGETS); do \
	  start=$$SECONDS; \
	  build/fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) -rss_limit_mb=2048 -max_len=65536 \
	    -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1 build/fuzz/corpus/$$t 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done|==[0-9]+==ERROR)' \
	    | sed "s/^/fuzz_$$t: /"; \
	  echo "fuzz_$$t: $$((SECONDS - start)) s"; \
	done

# The documentation's pictures (docs/images), taken by the browser tests that show each view.
screenshots: site
	node tests/browser/run.mjs --site build/site --out build/screenshots --docs docs/images \
	  --only "first view|inside the model|walk the code|watch it learn: nothing|my photo is noisy"

clean:
	rm -rf build
