#!/usr/bin/env bash
# The README's main job. Until the desktop client exists: a fresh dev PKI in .data/pki and the fix/ FIXS
# acceptor, printing how to connect. (The gateway replaces this body when it lands.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  flock /tmp/parley-npm.lock npm ci --no-audit --no-fund
fi
exec node --disable-warning=ExperimentalWarning fix/demo.ts serve --pki .data/pki "$@"
