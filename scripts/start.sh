#!/usr/bin/env bash
# The README's main job: a fresh dev PKI, a demo user directory and the Parley gateway (FIX 4.4 over mutual
# TLS, enrollment endpoint, dealer desk), printing how to connect. Everything lives in .data/demo and is
# recreated on every start; no secret is kept anywhere else. The demo relaxes the posture policy (no disk
# encryption required, old patches accepted) in its own generated config only; the shipped defaults are strict.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
# The same install step as `npm test`: Debian packages when root, Node >= 22.12, and node_modules rebuilt when
# the lockfile or the Node ABI changed (keytar is a native addon), so a fresh clone starts with one command.
bash scripts/deps.sh
node_ts() { node --disable-warning=ExperimentalWarning "$@"; }

# The browser preview listens on a fixed port in the demo, so the gateway's WebAuthn step-up can name its origin
# (http://localhost:<port>; a security key signs the origin, and the gateway's default https://localhost would
# never match). Checked before anything starts, so a taken port is said plainly instead of a failed step-up later.
preview_port="${PARLEY_PREVIEW_PORT:-47800}"
if ! [[ "$preview_port" =~ ^[0-9]{1,5}$ ]] || [ "$preview_port" -lt 1024 ] || [ "$preview_port" -gt 65535 ]; then
  echo "parley: PARLEY_PREVIEW_PORT must be a port number from 1024 to 65535, got '$preview_port'" >&2
  exit 2
fi
if ! node -e 'const s=require("net").createServer();s.once("error",(e)=>{console.error(e.code);process.exit(1)});s.listen(Number(process.argv[1]),"127.0.0.1",()=>s.close())' "$preview_port" 2>/dev/null; then
  echo "parley: port $preview_port on 127.0.0.1 is already in use, and the demo's browser preview needs it: the gateway's" >&2
  echo "        WebAuthn step-up accepts the origin http://localhost:$preview_port only. Stop whatever holds it (an earlier" >&2
  echo "        'npm start'?), or pick another free port: PARLEY_PREVIEW_PORT=<port> npm start" >&2
  exit 1
fi

demo=.data/demo
rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"
node_ts fix/pki/cli.ts --out "$demo/pki" --clients ALICE,RITA >/dev/null

cat > "$demo/gateway.json" <<EOF
{
  "dataDir": ".",
  "listen": { "host": "127.0.0.1", "fixPort": ${PARLEY_FIX_PORT:-0}, "enrollPort": ${PARLEY_ENROLL_PORT:-0} },
  "pki": { "dir": "pki", "clientCertHours": 72 },
  "policy": { "dir": null, "mode": "enforce" },
  "posture": { "requireDiskEncryption": false, "maxDaysSinceLastPatch": 3650 },
  "stepUp": { "origin": "http://localhost:$preview_port" }
}
EOF

gw() { node_ts gateway/cli.ts --config "$demo/gateway.json" "$@"; }
alice_pw="$(node -e 'console.log(require("crypto").randomBytes(12).toString("base64url"))')"
rita_pw="$(node -e 'console.log(require("crypto").randomBytes(12).toString("base64url"))')"
printf '%s' "$alice_pw" | gw users add --user alice --role Trader --compid ALICE --country GB --password-stdin >/dev/null
printf '%s' "$rita_pw" | gw users add --user rita --role 'Risk Officer' --compid RITA --country GB --password-stdin >/dev/null
alice_totp="$(gw users enroll-totp --user alice | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).uri))')"
rita_totp="$(gw users enroll-totp --user rita | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).uri))')"
token="$(gw tokens issue --user alice --ttl 24h | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')"

cat <<EOF
== Parley demo (all of it in $demo, recreated on every start)
Users (dev only; printed once):
  alice  Trader        password $alice_pw
         TOTP          $alice_totp
         enrollment    token $token  (one-time, 24 h)  or the dev certificate $demo/pki/ALICE.ec.{crt,key}.pem
  rita   Risk Officer  password $rita_pw
         TOTP          $rita_totp
         certificate   $demo/pki/RITA.ec.{crt,key}.pem
Trust the CA $demo/pki/ca.crt.pem; connect with SenderCompID ALICE (or RITA), TargetCompID PARLEY.
Admin: npm run gateway -- --config $demo/gateway.json <users|tokens|revoke|sessions|policy|audit> ... (--help)
Security-key step-up: the gateway accepts the origin http://localhost:$preview_port, the browser preview's fixed port
  (PARLEY_PREVIEW_PORT); the desktop app's own origin is not configured in this demo.
Demo posture policy: disk encryption NOT required, OS patches up to 3650 days old accepted, so a developer
  machine can sign in and trade. Production defaults require disk encryption and patches no older than 30 days
  (gateway/posture/policy.ts; set "posture" in the gateway config).
EOF

# ---- the client (main/): the desktop app where Electron can run, else the browser preview ----------------
# PARLEY_NO_CLIENT=1 runs the gateway alone, in the foreground, as before.
if [ "${PARLEY_NO_CLIENT:-}" = 1 ]; then
  exec node --disable-warning=ExperimentalWarning gateway/cli.ts --config "$demo/gateway.json"
fi
# The gateway runs in the background (its output still shows); its ports are read from what it prints.
node --disable-warning=ExperimentalWarning gateway/cli.ts --config "$demo/gateway.json" > >(tee "$demo/gateway.log") 2>&1 &
gw_pid=$!
trap 'kill "$gw_pid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 150); do
  grep -q 'enrollment (HTTPS)' "$demo/gateway.log" 2>/dev/null && break
  kill -0 "$gw_pid" 2>/dev/null || { echo "parley: the gateway did not start (see above)" >&2; exit 1; }
  sleep 0.2
done
fix_port="$(sed -n 's/.*FIX 4.4 over mutual TLS *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$demo/gateway.log")"
enroll_url="$(sed -n 's/.*enrollment (HTTPS) *\(https:[^ ]*\)\/v1\/enroll.*/\1/p' "$demo/gateway.log")"
if [ -z "$fix_port" ] || [ -z "$enroll_url" ]; then echo "parley: could not read the gateway's ports from $demo/gateway.log" >&2; exit 1; fi
# What IT would deploy as the managed policy; the token makes the client enroll silently as alice, so the file is
# readable by this user only (0600), written from stdin (never an argument: ps shows those to everyone).
node_ts scripts/write-private.ts "$demo/client-policy.json" <<EOF
{
  "gateway": { "host": "127.0.0.1", "port": $fix_port, "compId": "PARLEY" },
  "caBundle": "pki/ca.crt.pem",
  "enrollmentUrl": "$enroll_url",
  "reattestIntervalSec": 300,
  "enrollmentToken": "$token"
}
EOF
cat <<EOF
== Parley client: enrolls this device silently (alice's token above) and keeps its key in the OS keychain.
   Sign in as alice with her password, then answer the step-up with her TOTP code.
EOF
node --disable-warning=ExperimentalWarning main/start-client.ts --policy "$demo/client-policy.json" --data "$demo/client" --port "$preview_port"
