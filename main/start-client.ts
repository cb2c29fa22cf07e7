/**
 * `npm start`'s client half: launches the Electron app where the Electron binary exists; otherwise (as on the
 * build machines, which cannot download it) says so and runs the browser preview with the same client core.
 *
 *   bash scripts/node.sh main/start-client.ts --policy <file> --data <dir> [--dist <dir>] [--port <n>]
 *
 * --port fixes the browser preview's port (the demo does, so its gateway's WebAuthn origin can name it); the
 * desktop app ignores it.
 * The renderer is built first when renderer/dist (or --dist) is missing or older than renderer/ sources.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureRendererBuilt } from './preview/renderer-build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({ options: { policy: { type: 'string' }, data: { type: 'string' }, dist: { type: 'string' }, port: { type: 'string' } }, strict: true });
if (args.port !== undefined && !/^\d{1,5}$/.test(args.port)) {
  console.error(`parley: --port must be a port number, got ${JSON.stringify(args.port.slice(0, 20))}`);
  process.exit(2);
}
const policy = path.resolve(args.policy ?? path.join(ROOT, '.data', 'demo', 'client-policy.json'));
const dataDir = path.resolve(args.data ?? path.join(ROOT, '.data', 'demo', 'client'));
// The desktop app always loads renderer/dist; another folder is for the preview (and tests).
const distDir = path.resolve(args.dist ?? path.join(ROOT, 'renderer', 'dist'));
const node = process.execPath;
const nodeArgs = ['--disable-warning=ExperimentalWarning'];

/** The installed Electron binary, read the way electron/index.js does — without its on-demand download. */
function electronBinary(): string | null {
  try {
    const pkgDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const rel = readFileSync(path.join(pkgDir, 'path.txt'), 'utf8').trim();
    const bin = path.join(pkgDir, 'dist', rel);
    return rel && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: 'inherit', env, cwd: ROOT });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

try {
  await ensureRendererBuilt(distDir);
} catch (e) {
  console.error(`parley: ${(e as Error).message}`);
  process.exit(1);
}
mkdirSync(dataDir, { recursive: true, mode: 0o700 });

/**
 * Electron 45 fetches its binary on demand rather than at install time. On a trader's machine that is one
 * download from Electron's release host, run here with Electron's own installer; where it cannot be reached
 * (the build machines) or ELECTRON_SKIP_BINARY_DOWNLOAD is set (the test command sets it), the preview runs.
 */
function installElectron(): string | null {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return null;
  let installer: string;
  try {
    installer = path.join(path.dirname(createRequire(import.meta.url).resolve('electron/package.json')), 'install.js');
  } catch {
    return null;
  }
  console.log("parley: fetching Electron's binary (once, with Electron's own installer) …");
  const r = spawnSync(node, [installer], { stdio: 'inherit', cwd: ROOT, timeout: 180_000 });
  if (r.status !== 0) console.log("parley: Electron's binary could not be fetched here.");
  return electronBinary();
}

const electron = electronBinary() ?? installElectron();
if (electron) {
  console.log('parley: building and launching the desktop app (Electron) …');
  const b = spawnSync(node, [...nodeArgs, 'main/shell/build.ts'], { stdio: 'inherit', cwd: ROOT });
  if (b.status !== 0) process.exit(b.status ?? 1);
  process.exit(await run(electron, [ROOT], { ...process.env, PARLEY_POLICY: policy, PARLEY_DATA_DIR: dataDir }));
}

console.log(
  [
    '',
    "parley: the Electron binary is not installed on this machine (and could not be fetched), so the desktop",
    '        window cannot open. Running the browser preview instead: the same client core under Node, with the',
    '        renderer served on this machine only (http://localhost:<port>). Open the URL printed below in a browser',
    '        on this machine (it carries a per-run secret). On a machine with Electron, `npm start` opens the',
    '        desktop app.',
    '',
  ].join('\n'),
);
const preview = ['main/preview/cli.ts', '--policy', policy, '--data', dataDir, '--dist', distDir, ...(args.port !== undefined ? ['--port', args.port] : [])];
if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
  // A headless box has no Secret Service: run a private one for this run (its own keyring folder beside the
  // data folder, locked by a random password that is never stored) so the device key still lives only in a
  // keychain. The demo starts from scratch every time, so nothing needs to reopen it.
  const keyringHome = path.join(path.dirname(dataDir), 'keyring');
  mkdirSync(keyringHome, { recursive: true, mode: 0o700 });
  const script = [
    'set -e',
    `eval "$(printf '%s' "$PARLEY_KEYRING_PASSWORD" | XDG_DATA_HOME="$PARLEY_KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"`,
    'unset PARLEY_KEYRING_PASSWORD',
    'export GNOME_KEYRING_CONTROL',
    'exec "$@"',
  ].join('\n');
  const env = { ...process.env, PARLEY_KEYRING_HOME: keyringHome, PARLEY_KEYRING_PASSWORD: randomBytes(24).toString('base64url') };
  process.exit(await run('dbus-run-session', ['--', 'bash', '-c', script, 'parley-keyring', node, ...nodeArgs, ...preview], env));
}
process.exit(await run(node, [...nodeArgs, ...preview]));
