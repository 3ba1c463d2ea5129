# Shared set-up for scripts/run and scripts/test: installs what is missing, skips what is
# there. Sourced, not run. Works on a fresh Debian 12 machine that reaches crates.io,
# Debian's packages and the npm registry (see docs/building.md).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.10"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n==> %s\n' "$*"; }

# Installs the Debian packages that are not installed yet.
need_apt() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# Installs Debian's Node.js and npm unless a node and npm are already on PATH (a machine
# may carry another Node.js build, which Debian's npm package would conflict with).
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    need_apt nodejs npm
  fi
}

# The Rust side: the wasm target, cargo-leptos, and wasm-bindgen at the version in Cargo.lock
# (cargo-leptos would otherwise try to download one from GitHub, which is not reachable).
ensure_rust_toolchain() {
  command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first." >&2; exit 1; }
  rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || {
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  }
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 16 minutes on 2 cores)"
    cargo install "cargo-leptos@$CARGO_LEPTOS_VERSION" --locked
  fi
  local wasm_bindgen_version
  wasm_bindgen_version="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')"
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$wasm_bindgen_version"; then
    say "Installing wasm-bindgen-cli $wasm_bindgen_version (about 3 minutes)"
    # Not --locked: its lock file asks for a crate version the registry does not have.
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
  fi
  # wasm-opt for release builds, from npm: Debian's binaryen 108 corrupts the externref
  # table wasm-bindgen emits, and the page then fails to hydrate.
  ensure_node
  if [ ! -x "$ROOT/scripts/wasm-opt/node_modules/.bin/wasm-opt" ]; then
    say "Installing wasm-opt (binaryen from npm)"
    (cd "$ROOT/scripts/wasm-opt" && npm ci --no-audit --no-fund)
  fi
  export PATH="$ROOT/scripts/wasm-opt/node_modules/.bin:$PATH"
}

# A running Docker engine on /var/run/docker.sock.
ensure_dockerd() {
  need_apt docker.io
  if curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
    return
  fi
  say "Starting dockerd"
  local log="${TMPDIR:-/tmp}/caretaker-dockerd.log"
  if [ "$(id -u)" -eq 0 ]; then
    nohup dockerd >"$log" 2>&1 &
  else
    sudo sh -c "nohup dockerd >'$log' 2>&1 &"
  fi
  for _ in $(seq 1 60); do
    curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1 && return
    sleep 1
  done
  echo "dockerd did not start; its log is $log" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

# Builds the site (wasm, js, css) and the release binary.
build_release() {
  say "Building caretaker (release)"
  (cd "$ROOT" && cargo leptos build --release)
}
