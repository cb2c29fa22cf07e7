#!/usr/bin/env bash
# Inside a D-Bus session: start gnome-keyring's Secret Service with a throwaway login
# collection, unlocked, then run the command. The keyring lives in a temporary folder so it
# never touches (or is blocked by) the user's own login keyring, and dies with the session.
set -euo pipefail
if command -v gnome-keyring-daemon >/dev/null 2>&1; then
  kr="$(mktemp -d "${TMPDIR:-/tmp}/parley-keyring.XXXXXX")"
  trap 'rm -rf "$kr"' EXIT
  mkdir -p "$kr/data" "$kr/control"
  chmod 700 "$kr" "$kr/control"
  eval "$(printf 'parley-test-session' | XDG_DATA_HOME="$kr/data" \
    gnome-keyring-daemon --unlock --components=secrets --control-directory="$kr/control" 2>/dev/null)"
  export GNOME_KEYRING_CONTROL="$kr/control"
else
  echo "parley: gnome-keyring-daemon not found; keychain tests will fail" >&2
fi
"$@"
