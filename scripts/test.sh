#!/usr/bin/env bash
# The README's test command (`npm test`): installs the test servers, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh
bash scripts/ensure-test-servers.sh
exec npx vitest run "$@"
