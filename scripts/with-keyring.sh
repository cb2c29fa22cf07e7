#!/usr/bin/env bash
# Inside a D-Bus session: start gnome-keyring's Secret Service with an unlocked login
# collection (throwaway password for this session only), then run the command.
set -euo pipefail
if command -v gnome-keyring-daemon >/dev/null 2>&1; then
  eval "$(printf 'parley-test-session' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
else
  echo "parley: gnome-keyring-daemon not found; keychain tests will fail" >&2
fi
exec "$@"
