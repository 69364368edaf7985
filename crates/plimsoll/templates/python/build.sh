#!/bin/sh
# Builds {{crate}}.wasm from app.py (componentize-py, pinned in requirements.txt).
set -e
cd "$(dirname "$0")"
command -v componentize-py >/dev/null || { echo "install the build tool first: pip install -r requirements.txt" >&2; exit 1; }
componentize-py -d wit -w dockerfile-plugin componentize app -o {{crate}}.wasm
