#!/usr/bin/env bash
# Installs the real servers the tests start (Debian packages), or fails naming what to
# install. A missing binary never lets a test pass silently: tests that need one fail.
set -euo pipefail
# binary:package pairs. Later subsystems add theirs here (redis-server, prometheus, ...).
NEEDED=(promtool:prometheus prometheus:prometheus prometheus-alertmanager:prometheus-alertmanager amtool:prometheus-alertmanager redis-server:redis-server redis-cli:redis-tools)
missing=()
for pair in "${NEEDED[@]+"${NEEDED[@]}"}"; do
  bin="${pair%%:*}"; pkg="${pair##*:}"
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/bin/$bin" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "bursar tests: installing ${missing[*]} with apt-get" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq >&2
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "bursar tests need these packages installed: ${missing[*]} (Debian/Ubuntu names)" >&2
  exit 1
fi
