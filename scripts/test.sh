#!/usr/bin/env bash
# The one test command (README, CI): installs what is needed, checks layering and types,
# then runs every test inside a D-Bus session with an unlocked gnome-keyring, so the
# keychain tests use the real Secret Service.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# Tests never fetch Electron's binary from outside (npm start on a trader's machine does, once).
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
bash "$PARLEY_ROOT/scripts/deps.sh"
cd "$PARLEY_ROOT"

echo "== layering (dependency-cruiser)"
dirs=(); for d in fix gateway agent main renderer bench build test; do [ -d "$d" ] && dirs+=("$d"); done
node node_modules/dependency-cruiser/bin/dependency-cruiser.mjs --config .dependency-cruiser.cjs \
  --output-type err "${dirs[@]}"
echo "== Electron shell scan (Electronegativity; accepted findings and reasons in scripts/electronegativity.mjs)"
node scripts/electronegativity.mjs
echo "== types (tsc --noEmit)"
node node_modules/typescript/bin/tsc --noEmit -p .

mkdir -p .data
# Everything the tests write to the temp folder (PKIs, data folders, browser profiles, keyrings) goes into
# one folder per run, removed when the run ends, pass or fail.
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/parley-test.XXXXXX")"
trap 'rm -rf "$run_tmp"' EXIT
export TMPDIR="$run_tmp"
echo "== tests (vitest)"
set +e
dbus-run-session -- bash "$PARLEY_ROOT/scripts/with-keyring.sh" \
  node node_modules/vitest/vitest.mjs run --reporter=default --reporter=json \
  --outputFile.json=.data/vitest-report.json "$@"
rc=$?
set -e
node scripts/summary.mjs .data/vitest-report.json || true
exit $rc
