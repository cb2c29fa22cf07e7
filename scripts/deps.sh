#!/usr/bin/env bash
# Installs what Parley's tests and demo need: Debian packages (when root on Debian),
# Node >= 22.12 (scripts/env.sh) and node_modules built against that Node.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PARLEY_ROOT"

DEBS=(chromium dbus gnome-keyring libsecret-1-dev libquickfix-dev libmaxmind-db-writer-perl
      iproute2 openssl g++ make python3 sslscan testssl.sh rsyslog rsyslog-gnutls
      swtpm swtpm-tools tpm2-tools)
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "parley: installing Debian packages: ${missing[*]}" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    else
      echo "parley: missing Debian packages (install them as root): ${missing[*]}" >&2
    fi
  fi
fi

# Reinstall when the lockfile changed or the native addon was built for another Node.
stamp=node_modules/.parley-stamp
want="$(node -p 'process.versions.modules')-$(sha256sum package-lock.json | cut -c1-16)"
install_modules() {
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "parley: installing node_modules for Node $(node --version)" >&2
    npm ci --no-fund --no-audit >&2
    echo "$want" > "$stamp"
  fi
}
# npm start and npm test may run side by side: one installs, the other waits and then finds the stamp.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/parley-npm.lock"
  flock 9
  install_modules
  flock -u 9
else
  install_modules
fi
