#!/usr/bin/env bash
# All tests: unit, property, executable, privileged (real mounts, as root) and QEMU boots.
# Installs what it needs first (scripts/setup.sh), then runs `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
