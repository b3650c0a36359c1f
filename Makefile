# Wharf: `make run` sets up and starts the server; `make test` sets up and runs every test.
# Setup is idempotent: apt and npm steps run only when something is missing.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
# Worktrees and clones share one compiler cache: paths under this checkout are hashed relative to it.
export CCACHE_BASEDIR := $(CURDIR)
WHARF := $(BUILD_DIR)/src/server/wharf

# Debian packages the build and the tests need. Later capabilities append to TEST_PACKAGES.
BUILD_PACKAGES := build-essential cmake ninja-build ccache pkg-config git \
  libboost-dev libboost-system-dev nlohmann-json3-dev libexpected-dev libsqlite3-dev libpq-dev \
  libsodium-dev libssl-dev libcurl4-openssl-dev libssh-dev libspdlog-dev libfmt-dev libcli11-dev \
  libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev nodejs
# libcbor-dev (WebAuthn attestation objects and COSE keys), libqrencode-dev (the TOTP enrolment QR code): src/identity.
BUILD_PACKAGES += libcbor-dev libqrencode-dev
# chromium: the browser the UI tests drive headless (tests/e2e/ui_*.test.mjs, via playwright-core).
# sudo, util-linux (unshare), python3: the worker-node test host (tests/e2e/lib/sshd.mjs).
# docker-registry, apache2-utils (htpasswd), openssl (token signing cert): the registry tests (tests/e2e/lib/registry.mjs).
# postgresql, postgresql-client: the PostgreSQL the store and e2e tests start (runuser is util-linux).
# lighttpd, lighttpd-mod-openssl (+ git's own git-http-backend): the HTTPS git server of the git-provider tests (tests/e2e/lib/git_server.mjs).
TEST_PACKAGES := nodejs openssh-client openssh-server sqlite3 curl procps wrk chromium sudo util-linux python3 iproute2 nftables ufw \
  docker-registry apache2-utils openssl postgresql postgresql-client lighttpd lighttpd-mod-openssl \
  zsh
# clang, libclang-rt-14-dev (libFuzzer, ASan, UBSan runtimes): the fuzz targets (fuzz/, make fuzz-smoke).
TEST_PACKAGES += clang libclang-rt-14-dev
# docker.io (dockerd, containerd, runc, the docker CLI), busybox-static: the test nodes' real Docker engine and the
# tiny image the image journey builds offline (tests/e2e/lib/dockerd.mjs, tests/e2e/lib/image.mjs).
TEST_PACKAGES += docker.io busybox-static
# zbar-tools (zbarimg), librsvg2-bin (rsvg-convert): the QR test rasterises the enrolment SVG and scans it back
# (src/identity/qr_test.cc).
TEST_PACKAGES += zbar-tools librsvg2-bin

.PHONY: run test deps deps-apt deps-npm web web-test build unit e2e bench clean fuzz-build fuzz-smoke fuzz

deps: deps-apt deps-npm

# apt-get update runs once, and only when a package is missing.
deps-apt:
	@missing=""; \
	for p in $(BUILD_PACKAGES) $(TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm > /dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "Debian packages: all present"; fi

# npm ci only when node_modules is missing or older than the lock file.
deps-npm:
	@if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund; \
	else echo "npm packages: all present"; fi

# The web UI (web/): npm ci only when node_modules is missing or older than the lock file; the Vite
# build only when a source is newer than web/dist. CMake then embeds web/dist into the binary.
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) $(shell find docs -name "*.md" 2>/dev/null) web/index.html web/api-docs.html web/vite.config.ts web/tsconfig.json web/package.json
web/node_modules/.package-lock.json: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	@touch $@
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	npm run --prefix web build
	@touch $@

web: deps-apt
	@$(MAKE) --no-print-directory web/dist/index.html

web-test: web
	npm test --prefix web

build: deps-apt web
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: deps build
	mkdir -p wharf-data
	$(WHARF) serve --data-dir ./wharf-data --listen 127.0.0.1:8080

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

e2e: deps build
	WHARF_BIN=$(abspath $(WHARF)) node tests/e2e/run.mjs

test: deps build
	@scripts/check-layers.sh
	@scripts/api-types.sh --check
	@npm test --prefix web
	@unit=0; ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) || unit=$$?; \
	e2e=0; WHARF_BIN=$(abspath $(WHARF)) node tests/e2e/run.mjs || e2e=$$?; \
	if [ $$unit -ne 0 ] || [ $$e2e -ne 0 ]; then echo "make test: unit=$$unit e2e=$$e2e"; exit 1; fi
	@$(MAKE) --no-print-directory fuzz-smoke

bench: build
	for b in $(BUILD_DIR)/src/*/*_bench; do echo "== $$b"; $$b --benchmark_repetitions=3 --benchmark_report_aggregates_only=true; done
	bench/wrk/list_ssh_keys.sh $(WHARF)
	bench/wrk/list_ssh_keys_pg_replicas.sh $(WHARF)
	WHARF_BIN=$(abspath $(WHARF)) node bench/jobs/claims_pg_replicas.mjs

# The libFuzzer targets (fuzz/): a separate clang build with ASan+UBSan, only the fuzz targets and
# the libraries they link (never the Beast server). fuzz-smoke replays fuzz/corpus and runs each
# target FUZZ_SMOKE_SECONDS; `make fuzz FUZZ_SECONDS=600` runs them as long as asked.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_JOBS ?= $(JOBS)
fuzz-build: deps-apt
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DWHARF_FUZZ=ON \
	  -DWHARF_WERROR=OFF > /dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_all

fuzz-smoke: fuzz-build
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_JOBS)

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_DIR)
