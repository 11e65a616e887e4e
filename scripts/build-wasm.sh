#!/usr/bin/env bash
# Builds the plugin's wasm module: cargo (release, tuned for size), wasm-bindgen's JS glue for
# ES modules, then wasm-opt. Prints the module's size, raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
OUT=server/dist

scripts/cargo-wasm build --release --quiet
wasm-bindgen --target web --out-dir "$OUT" target/wasm/wasm32-unknown-unknown/release/oauth_plugin.wasm
# The features rustc enables by default for wasm32-unknown-unknown; wasm-opt must know them. Functions
# that differ only in constants are merged first (one body, the constants as parameters), then -Oz
# runs until it finds nothing more: about 4 KB less than one -Oz.
node_modules/.bin/wasm-opt --merge-similar-functions -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$OUT/oauth_plugin_bg.wasm" -o "$OUT/oauth_plugin_bg.wasm"
raw=$(stat -c %s "$OUT/oauth_plugin_bg.wasm")
gzipped=$(gzip -9c "$OUT/oauth_plugin_bg.wasm" | wc -c)
echo "wasm module: $OUT/oauth_plugin_bg.wasm  $raw bytes raw, $gzipped bytes gzipped"
