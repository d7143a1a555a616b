#!/usr/bin/env bash
# What `npm test` needs beyond Node, checked before vitest starts. On Debian as root
# (with apt-get) whatever is missing is installed; otherwise one line says exactly
# what to install and the tests do not start (exit 1): no test is ever skipped.
#   chromium          Debian's Chromium: the SwiftShader Vulkan ICD, and the demo tests' browser
#   libvulkan1        the Vulkan loader Dawn opens for SwiftShader
#   libegl1 libgles2 libgl1-mesa-dri   EGL / OpenGL ES and Mesa's llvmpipe
#   python3-torch     PyTorch 1.13 for the companion's tests (python/webgpu_rnn.py)
set -uo pipefail
cd "$(dirname "$0")/.."

has_library() { compgen -G "/usr/lib/*/$1" >/dev/null || compgen -G "/usr/lib/$1" >/dev/null || compgen -G "/lib/*/$1" >/dev/null; }

missing_packages() {
  local missing=()
  { [ -x /usr/bin/chromium ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; } || missing+=(chromium)
  has_library libvulkan.so.1 || missing+=(libvulkan1)
  has_library libEGL.so.1 || missing+=(libegl1)
  has_library libGLESv2.so.2 || missing+=(libgles2)
  has_library 'dri/swrast_dri.so' || missing+=(libgl1-mesa-dri)
  /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing+=(python3-torch)
  echo "${missing[*]}"
}

missing="$(missing_packages)"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "npm test: installing the Debian packages the tests need: $missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # one word per package
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
    missing="$(missing_packages)"
  fi
  if [ -n "$missing" ]; then
    echo "npm test needs the Debian packages: $missing — install them (as root: apt-get install -y $missing) and run npm test again." >&2
    exit 1
  fi
fi

if [ ! -x node_modules/.bin/vitest ]; then
  echo "npm test: node_modules is missing; running npm ci"
  npm ci --no-audit --no-fund || { echo "npm test needs the project's npm packages: run npm ci (it failed above) and npm test again." >&2; exit 1; }
fi
