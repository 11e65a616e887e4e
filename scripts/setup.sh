#!/usr/bin/env bash
# Installs every tool the build and the tests need, skipping what is already there, so that it can
# run before every `make run` / `make test`. Sources: Debian's packages, crates.io and npm only (see
# TOOLCHAIN.md: nothing else is reachable, so `rustup target add` is never used).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy lld-22
              chromium chromium-driver firefox-esr
              postgresql-15   # the server binaries: host tests start throwaway PostgreSQL servers
              python3-venv)   # the venv of the Python OpenID Connect client the host tests run
GECKODRIVER_VERSION=0.36.0
# The CLI must be exactly the wasm-bindgen version the lock file holds.
WASM_BINDGEN_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

say() { echo "setup: $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "needs root to run: $*"; exit 1
  fi
}

install_debian_packages() {
  local missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "Debian packages present"; return; fi
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# cargo install <crate> <version> <binary>..., unless the first binary already reports that version.
# Each crate builds in a root of its own (two `cargo install`s into one root take turns on its lock),
# then its binaries move into cargo's bin directory.
install_crate() {
  local crate=$1 version=$2 binary=$3
  # Read the whole answer before matching: `grep -q` stops reading at the first match, and under
  # pipefail a tool that prints more (geckodriver's licence lines) then fails with SIGPIPE.
  local reported; reported=$("$CARGO_BIN/$binary" --version 2>/dev/null || true)
  if grep -qF " $version" <<<"$reported"; then
    say "$crate $version present"; return
  fi
  say "building $crate $version from crates.io (a few minutes)"
  local root; root=$(mktemp -d)
  # No --locked: wasm-bindgen-cli's lock file names a crate version that crates.io no longer has.
  CARGO_TARGET_DIR="$root/target" cargo install --quiet --force --root "$root" "$crate" --version "$version" "${@:4}"
  mkdir -p "$CARGO_BIN"
  mv -f "$root"/bin/* "$CARGO_BIN"/
  rm -rf "$root"
}

install_npm_packages() {
  local stamp=node_modules/.setup-stamp
  local want; want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then say "npm packages present"; return; fi
  say "installing npm packages (better-sqlite3 builds from source, about a minute)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
}

# The Python packages of the host tests (authlib validating ID tokens), in a venv of their own,
# rebuilt only when their pinned list changes.
install_python_packages() {
  local venv=reference-server/.venv requirements=reference-server/test/fixtures/requirements.txt
  local stamp=$venv/.setup-stamp
  local want; want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then say "Python packages present"; return; fi
  say "installing Python packages into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # Every package is pinned, its dependencies too: --no-deps installs exactly the list, and pip check
  # fails when the list misses one.
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  "$venv/bin/pip" check >/dev/null
  echo "$want" > "$stamp"
}

command -v cargo >/dev/null || { say "cargo (rustup) is required"; exit 1; }
command -v node >/dev/null || { say "Node.js 20 or newer is required"; exit 1; }
# The two tools from crates.io compile (the longest part of a first setup) while the packages of
# Debian, npm and PyPI download and install beside them.
install_crate wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen \
  --bin wasm-bindgen --bin wasm-bindgen-test-runner & wasm_bindgen=$!
install_crate geckodriver "$GECKODRIVER_VERSION" geckodriver & geckodriver=$!
install_debian_packages
install_npm_packages
install_python_packages
wait "$wasm_bindgen" || { say "building wasm-bindgen-cli failed"; exit 1; }
wait "$geckodriver" || { say "building geckodriver failed"; exit 1; }
say "done"
