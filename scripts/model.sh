#!/usr/bin/env bash
# Runs the model-based test (tests/model_based.cpp) with random seeds for
# MINUTES (default 5), printing every seed it runs. A failing seed prints a
# shrunk step list; replay it with
#   PRESENCE_MODEL_SEEDS=<seed> build/tests/presence_tests "[model]"
# PRESENCE_MODEL_STEPS sets the steps per seed (default 150).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-5}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B build "${launcher[@]}" >/dev/null
cmake --build build -j"$(nproc)" --target presence_tests
PRESENCE_MODEL_SECONDS=$(( minutes * 60 )) ./build/tests/presence_tests \
  "model-based: random call sequences agree with the reference model"
