#!/usr/bin/env bash
# Runs the test suite on one major version of Node, fetched from the npm registry (the
# official Linux binaries, published as node-linux-<arch>), against the node_modules/ of this
# checkout. Kept in a temporary directory between runs.
#
#   bash scripts/test-on-node.sh 24                      # the whole suite (npm test) on Node 24
#   bash scripts/test-on-node.sh 24 __tests__/express    # or only the test paths given
set -euo pipefail
cd "$(dirname "$0")/.."

MAJOR="${1:?usage: test-on-node.sh <major> [test paths...]}"
shift
ARCH="$(node -p process.arch)"
DIR="${TMPDIR:-/tmp}/express-yoti-notifications-node-${MAJOR}-${ARCH}"
BIN="${DIR}/package/bin"

if [ ! -x "${BIN}/node" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  tarball="$(cd "$DIR" && npm pack --silent "node-linux-${ARCH}@${MAJOR}")"
  tar -xzf "${DIR}/${tarball}" -C "$DIR"
fi
# npm, jest's workers and the tests' child processes all run on this Node.
export PATH="${BIN}:${PATH}"
echo "== tests on Node $(node --version)"

if [ "$#" -eq 0 ]; then
  npm test
else
  # As npm test runs it: PGlite loads its WebAssembly with import(), which Jest allows with this flag.
  node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"
fi
