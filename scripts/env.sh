#!/usr/bin/env bash
# Sourced by every project script: puts a Node >= 22.12 first on PATH.
# The machine's Node may be older (Debian ships 20); the registry's node-<os>-<arch>
# package is a full Node build with headers, so native addons (keytar) build against it.
set -euo pipefail
PARLEY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PARLEY_ROOT
NODE_WANT="24.9.0"

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}

tools="$PARLEY_ROOT/.tools"
case "$(uname -s)" in Linux) os=linux;; Darwin) os=darwin;; *) os="";; esac
case "$(uname -m)" in x86_64|amd64) arch=x64;; aarch64|arm64) arch=arm64;; *) arch="";; esac
pkg="node-$os-$arch"
if [ -x "$tools/node_modules/$pkg/bin/node" ]; then
  export PATH="$tools/node_modules/$pkg/bin:$PATH"
elif ! node_ok; then
  if [ -z "$os" ] || [ -z "$arch" ]; then
    echo "parley: need Node >= 22.12 on PATH (no registry build known for $(uname -s)/$(uname -m))" >&2; exit 1
  fi
  echo "parley: Node $(node --version 2>/dev/null || echo none) is too old; installing Node $NODE_WANT from the npm registry into .tools/" >&2
  mkdir -p "$tools"
  npm install --silent --no-save --no-package-lock --prefix "$tools" "$pkg@$NODE_WANT" >&2
  export PATH="$tools/node_modules/$pkg/bin:$PATH"
fi
# Native addons must build against the Node that runs them, not the machine's headers.
nodehome="$(dirname "$(dirname "$(command -v node)")")"
if [ -d "$nodehome/include/node" ]; then export npm_config_nodedir="$nodehome"; fi
