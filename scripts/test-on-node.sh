#!/usr/bin/env bash
# Runs tests on another major version of Node, fetched from the npm registry (the official
# Linux binaries, published as node-linux-<arch>), against the dist/ and node_modules/ of this
# checkout. Kept in a temporary directory between runs.
#
#   bash scripts/test-on-node.sh 24                      # the tests whose outcome depends on Node
#   bash scripts/test-on-node.sh 24 __tests__/express    # or the test paths given
set -euo pipefail
cd "$(dirname "$0")/.."

MAJOR="${1:?usage: test-on-node.sh <major> [test paths...]}"
shift
ARCH="$(node -p process.arch)"
DIR="${TMPDIR:-/tmp}/express-yoti-notifications-node-${MAJOR}-${ARCH}"
NODE="${DIR}/package/bin/node"

if [ ! -x "$NODE" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  tarball="$(cd "$DIR" && npm pack --silent "node-linux-${ARCH}@${MAJOR}")"
  tar -xzf "${DIR}/${tarball}" -C "$DIR"
fi
echo "== tests on Node $("$NODE" --version)"

if [ "$#" -eq 0 ]; then
  # node --test's output changed in 23.
  set -- __tests__/packaging
fi
# Jest's workers and the tests' child processes run on process.execPath: this Node.
"$NODE" node_modules/jest/bin/jest.js "$@"
