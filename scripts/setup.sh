#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) Sesame needs and this machine lacks.
# Safe to run again: each step checks first and does nothing when its tool is in place.
#
#   scripts/setup.sh build   # WASM target, wasm-bindgen, wasm-opt
#   scripts/setup.sh test    # the above, plus Chromium, the Playwright test runner,
#                            # PostgreSQL and Redis
#   scripts/setup.sh bench   # the build's, plus PostgreSQL, Redis, wrk and brotli
#
# Tools that are not system packages go to a per-user cache shared by every clone:
# $SESAME_TOOLS (default ~/.cache/sesame/tools), one directory per pinned version.
set -euo pipefail

want=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/versions.sh"

if [ -t 1 ]; then bold=$'\033[1m' red=$'\033[1;31m' plain=$'\033[0m'; else bold='' red='' plain=''; fi
say() { printf '%s[setup]%s %s\n' "$bold" "$plain" "$*"; }
die() { printf '%s[setup]%s %s\n' "$red" "$plain" "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root for: $* (install it, or run as root)"; fi
}

apt_updated=
apt_install() {  # installs the Debian packages given that are not installed yet
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and this is not a Debian-like system"
  say "installing Debian packages: ${missing[*]}"
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The WASM standard library: rustup's where it can be downloaded (a developer's laptop),
# else Debian's rustc-web with the std source, built for wasm by the frontend build itself.
# The choice is remembered in target/wasm-toolchain; SESAME_WASM_TOOLCHAIN=rustup|debian
# overrides it (and is remembered in turn).
setup_wasm_target() {
  local mode_file="$root/target/wasm-toolchain"
  local choice=${SESAME_WASM_TOOLCHAIN:-$(cat "$mode_file" 2>/dev/null || echo auto)}
  mkdir -p "$root/target"
  case "$choice" in
    auto|rustup|debian) ;;
    *) die "SESAME_WASM_TOOLCHAIN must be rustup or debian, not '$choice'" ;;
  esac
  if [ "$choice" != debian ] && command -v rustup >/dev/null; then
    if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
      || timeout 300 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
      echo rustup >"$mode_file"
      return 0
    fi
    [ "$choice" = rustup ] && die "rustup cannot install wasm32-unknown-unknown here"
    say "rustup cannot provide wasm32-unknown-unknown here; using Debian's rustc-web instead"
  fi
  apt_install rustc-web cargo-web rust-web-src "lld-$LLD_MAJOR"
  [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] \
    || die "rustc-web or rust-web-src did not install as expected"
  local minor
  minor=$(/usr/bin/rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
  [ "$minor" -ge 88 ] 2>/dev/null \
    || die "Debian's rustc is $(/usr/bin/rustc --version); Leptos 0.8 needs 1.88 or newer (bookworm-security has 1.96)"
  echo debian >"$mode_file"
}

setup_wasm_bindgen() {
  local dir="$SESAME_TOOLS/wasm-bindgen-$WASM_BINDGEN_VERSION"
  if [ -x "$dir/bin/wasm-bindgen" ]; then return 0; fi
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$dir.partial" --quiet
  mv "$dir.partial" "$dir"
}

setup_wasm_opt() {
  # npm's binaryen: Debian's older wasm-opt produces a bundle that fails to hydrate.
  local dir="$SESAME_TOOLS/binaryen-$BINARYEN_VERSION"
  if [ -x "$dir/node_modules/.bin/wasm-opt" ]; then return 0; fi
  command -v npm >/dev/null || apt_install nodejs npm
  say "installing wasm-opt (npm binaryen $BINARYEN_VERSION)"
  rm -rf "$dir.partial"; mkdir -p "$dir.partial"
  npm install --prefix "$dir.partial" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
  mv "$dir.partial" "$dir"
}

setup_e2e() {
  apt_install chromium
  # The test runner only; Playwright is pointed at Debian's Chromium and never downloads one.
  if [ ! -x "$root/end2end/node_modules/.bin/playwright" ] \
    || [ "$root/end2end/package-lock.json" -nt "$root/end2end/node_modules/.package-lock.json" ]; then
    say "installing the end-to-end test runner (npm ci)"
    (cd "$root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
}

command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first (https://rustup.rs)"
mkdir -p "$SESAME_TOOLS"
setup_wasm_target
setup_wasm_bindgen
setup_wasm_opt
case "$want" in
  build) ;;
  test)
    setup_e2e
    # The stores that the tests start on ports of their own (scripts/test-stores.sh); the
    # packages' own services are not used. Debian's postgresql package creates the
    # `postgres` user that PostgreSQL runs as when the tests run as root.
    apt_install postgresql redis-server
    ;;
  bench) apt_install postgresql redis-server wrk brotli ;;
  *) die "unknown setup '$want' (build, test or bench)" ;;
esac
