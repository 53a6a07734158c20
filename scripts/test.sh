#!/usr/bin/env bash
# All tests: unit, property, executable, privileged (real mounts, as root) and QEMU boots.
# Installs what it needs first (scripts/setup.sh), then runs `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
# the EROFS V1 writer is compared byte for byte with C mkcomposefs on this many random trees
# (`npm run test:unit` alone uses the test's quicker default of 300)
export EROFS_PROPERTY_RUNS="${EROFS_PROPERTY_RUNS:-2000}"
bash scripts/setup.sh
npm test
