#!/usr/bin/env bash
# Installs the system packages the tests use, when they are missing: Debian's PyTorch and NumPy
# (the reference for the cross-checks). Idempotent and quick when everything is present.
# Needs root for apt-get; without it, prints what to install and carries on (those tests skip).
set -euo pipefail

PYTHON=${GRADLENS_PYTHON:-/usr/bin/python3}

need_torch() { ! "$PYTHON" -c 'import torch, numpy' >/dev/null 2>&1; }

if need_torch; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup-system: installing python3-torch and python3-numpy from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3-torch python3-numpy >/dev/null
  else
    echo "setup-system: PyTorch not found for $PYTHON; install it with: sudo apt-get install python3-torch python3-numpy" >&2
  fi
fi
if ! need_torch; then echo "setup-system: PyTorch $("$PYTHON" -c 'import torch; print(torch.__version__)') ready"; fi
