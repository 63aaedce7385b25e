#!/usr/bin/env bash
# Builds the browser side into target/site: the hydration bundle (pkg/sesame.js and
# pkg/sesame_bg.wasm), the stylesheet (pkg/sesame.css) and the files from public/.
# Each step is skipped when its output is newer than its input.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/versions.sh

site=target/site
pkg=$site/pkg
raw=target/wasm32-unknown-unknown/wasm-release/frontend.wasm
mkdir -p "$pkg"

if [ ! -f "$pkg/sesame_bg.wasm" ]; then
  echo "[frontend] building the WASM bundle (a few minutes the first time)"
fi
case "$(cat target/wasm-toolchain 2>/dev/null)" in
  rustup)
    cargo build --quiet -p frontend --target wasm32-unknown-unknown --profile wasm-release ;;
  debian)
    # Debian's rustc has no prebuilt wasm std: build it from source along with the crate.
    # Since std is built here anyway, it is built without panic messages or source
    # locations, which the bundle every visitor downloads is smaller without (by about a
    # tenth; `make bench` prints its size). A panic in the browser then stops with no
    # text; the same code's server-side tests are where such bugs show.
    # (Leptos' `--cfg erase_components` would save more, but only if the server were
    # built with it too: a bundle built with it alone fails to hydrate.)
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="/usr/lib/llvm-$LLD_MAJOR/bin/wasm-ld" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
      /usr/bin/cargo build --quiet -p frontend --target wasm32-unknown-unknown \
      --profile wasm-release -Zbuild-std=std,panic_abort ;;
  *) echo "run scripts/setup.sh first (no target/wasm-toolchain)" >&2; exit 1 ;;
esac

if [ ! -f "$pkg/sesame_bg.wasm" ] || [ "$raw" -nt "$pkg/sesame_bg.wasm" ]; then
  bindgen="$SESAME_TOOLS/wasm-bindgen-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
  wasm_opt="$SESAME_TOOLS/binaryen-$BINARYEN_VERSION/node_modules/.bin/wasm-opt"
  out=target/wasm-bindgen
  rm -rf "$out"
  "$bindgen" --target web --no-typescript --out-name sesame --out-dir "$out" "$raw"
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals \
    "$out/sesame_bg.wasm" -o "$pkg/sesame_bg.wasm.tmp"
  cp "$out/sesame.js" "$pkg/sesame.js"
  mv "$pkg/sesame_bg.wasm.tmp" "$pkg/sesame_bg.wasm"
fi

cp -u style/main.css "$pkg/sesame.css"
cp -ru public/. "$site/"
