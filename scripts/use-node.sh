# Source this file: puts Node >= 22.15 first on PATH, installing Node 24 from the npm
# package `node` into ./.tools when the machine's Node is older.
#   source scripts/use-node.sh
_bursar_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_bursar_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=15)?0:1)'
}
if [ -x "$_bursar_root/.tools/node_modules/.bin/node" ]; then
  export PATH="$_bursar_root/.tools/node_modules/.bin:$PATH"
fi
if ! _bursar_node_ok; then
  echo "bursar: Node >= 22.15 needed (found $(node --version 2>/dev/null || echo none)); installing node@24.21.0 into .tools" >&2
  npm install --prefix "$_bursar_root/.tools" --no-audit --no-fund --loglevel=error node@24.21.0 >&2
  export PATH="$_bursar_root/.tools/node_modules/.bin:$PATH"
  _bursar_node_ok || { echo "bursar: could not install Node 24; install Node >= 22.15 yourself" >&2; return 1 2>/dev/null || exit 1; }
fi
unset -f _bursar_node_ok
unset _bursar_root
