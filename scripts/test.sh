#!/usr/bin/env bash
# The README's test command (`npm test`): installs the test servers, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/use-node.sh
bash scripts/ensure-test-servers.sh
report="$(mktemp -d)/vitest.json"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line for any reader of the log: "N passed, N failed".
if [ -s "$report" ]; then
  node -e 'const r = require(process.argv[1]); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$report"
fi
exit "$status"
