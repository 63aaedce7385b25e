# Pinned tool versions, read by the other scripts. Keep WASM_BINDGEN_VERSION equal to the
# `wasm-bindgen` pin in Cargo.toml: the CLI and the library must match exactly.
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0
LLD_MAJOR=22
SESAME_TOOLS=${SESAME_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/sesame/tools}
