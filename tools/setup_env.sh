#!/usr/bin/env bash
# Create .venv with the pinned MMDetection stack and this package (editable).
#
# Safe to rerun: every step checks what is already there, and the compiled mmcv
# wheel is cached outside the repo ($SHUFFLENET_DET_CACHE, default
# ~/.cache/shufflenet_det), so a second run takes seconds instead of ~10 min.
# Why these pins and build steps: docs/get_started.md, "Set-up notes".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CACHE="${SHUFFLENET_DET_CACHE:-$HOME/.cache/shufflenet_det}"
PYTHON="${PYTHON:-python3}"

TORCH_PINS=(torch==2.14.1 torchvision==0.29.1)
# setuptools<82 keeps pkg_resources (mmcv's setup.py and mmengine need it).
BASE_PINS=(setuptools==80.9.0 wheel ninja mmengine==0.10.7 'opencv-python<5'
           pycocotools)
MMCV_VERSION=2.1.0
MMDET_PIN=mmdet==3.3.0
# The test tools and engines are the package's tests extra (setup.cfg).

step() { CURRENT_STEP="$1"; echo "==> [setup] $1"; }
trap 'echo "!! [setup] failed during: ${CURRENT_STEP:-start} (rerun to resume)" >&2' ERR

pip_install() { "$PY" -m pip install --quiet "$@"; }

step "virtual environment $VENV"
if ! "$PY" -c 'import sys' 2>/dev/null; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

step "torch + torchvision"
pip_install "${TORCH_PINS[@]}"

step "mmengine, pycocotools and build tools"
pip_install "${BASE_PINS[@]}"

mmcv_ops_ok() {
    "$PY" -c "import mmcv, sys; from mmcv.ops import RoIAlign, nms; \
sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null
}

build_mmcv_wheel() {
    # mmcv has no Linux wheel on PyPI: compile its ops from the sdist, with
    # C++20 (torch 2.14 headers need it) and without build isolation (its
    # setup.py imports torch, else it silently skips the ops).
    local work
    work="$(mktemp -d)"
    "$PY" -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation \
        -d "$work" "mmcv==$MMCV_VERSION"
    tar -xzf "$work/mmcv-$MMCV_VERSION.tar.gz" -C "$work"
    sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' \
        "$work/mmcv-$MMCV_VERSION/setup.py"
    MAX_JOBS=2 "$PY" -m pip wheel --no-deps --no-build-isolation --no-cache-dir \
        -w "$work/dist" "$work/mmcv-$MMCV_VERSION"
    mkdir -p "$CACHE"
    # Publish atomically: a half-written wheel is never seen by a rerun.
    local built
    built="$(ls "$work"/dist/mmcv-"$MMCV_VERSION"-*.whl)"
    cp "$built" "$CACHE/.partial.whl"
    mv "$CACHE/.partial.whl" "$CACHE/$(basename "$built")"
    rm -rf "$work"
}

step "mmcv $MMCV_VERSION with compiled ops"
if ! mmcv_ops_ok; then
    wheel="$(ls "$CACHE"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
    if [ -z "$wheel" ]; then
        step "compiling mmcv $MMCV_VERSION ops (about 10 minutes on 2 cores)"
        build_mmcv_wheel
        wheel="$(ls "$CACHE"/mmcv-"$MMCV_VERSION"-*.whl | head -n 1)"
    fi
    step "installing $wheel"
    pip_install --force-reinstall --no-deps "$wheel"
    pip_install "$wheel"  # its run-time requirements
fi

step "$MMDET_PIN, shufflenet_det (editable) and its tests extra"
pip_install "$MMDET_PIN"
pip_install --no-build-isolation -e "$ROOT[tests]"

step "runtime extra's wheels (tests/test_install.py installs them offline)"
mapfile -t RUNTIME_REQUIREMENTS < <("$PY" "$ROOT/tools/check_runtime_wheels.py" \
    --print-requirements --extras runtime)
"$PY" -m pip download --quiet --only-binary=:all: -d "$CACHE/runtime-wheels" \
    "${RUNTIME_REQUIREMENTS[@]}"

step "verifying the installed stack"
"$PY" - <<'PY'
import mmcv, mmdet, mmengine, torch
from mmcv.ops import RoIAlign, nms  # noqa: F401  fails if the ops were not compiled
import shufflenet_det  # noqa: F401
print(f'torch {torch.__version__}, mmcv {mmcv.__version__}, '
      f'mmdet {mmdet.__version__}, mmengine {mmengine.__version__}: ok')
PY
