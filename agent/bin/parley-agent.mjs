#!/usr/bin/env node
// Launcher for the TypeScript CLI (agent/cli.ts). Node strips the types itself from 22.18 / 23.6 on; Node 22.12+
// needs the flag; an older Node hands over to the project's own Node 24 in .tools/ (scripts/env.sh installs it).
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = realpathSync(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const [major, minor] = process.versions.node.split('.').map(Number);
const canStrip = Boolean(process.features && process.features.typescript);

function handOver(node, flags) {
  const r = spawnSync(node, [...flags, self, ...args], { stdio: 'inherit', env: { ...process.env, PARLEY_AGENT_LAUNCHED: '1' } });
  if (r.error) {
    process.stderr.write(`parley-agent: cannot start ${node}: ${r.error.message}\n`);
    process.exit(69);
  }
  process.exit(r.status === null ? 70 : r.status);
}

if (canStrip) {
  // `parley-agent report | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    const { main } = await import('../cli.ts');
    process.exitCode = await main(args);
  } catch (err) {
    process.stderr.write(`parley-agent: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  }
} else if (process.env.PARLEY_AGENT_LAUNCHED !== '1' && (major > 22 || (major === 22 && minor >= 12))) {
  handOver(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning']);
} else {
  const root = join(dirname(self), '..', '..');
  const os = { linux: 'linux', darwin: 'darwin' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  const tools = os && arch ? join(root, '.tools', 'node_modules', `node-${os}-${arch}`, 'bin', 'node') : undefined;
  if (tools && existsSync(tools) && process.env.PARLEY_AGENT_LAUNCHED !== '1') handOver(tools, []);
  process.stderr.write(
    `parley-agent: needs Node >= 22.12 to run its TypeScript sources; this is Node ${process.versions.node}.\n` +
      `Run 'source scripts/env.sh' in the Parley checkout (it installs Node 24 into .tools/), or install Node 22.12+.\n`,
  );
  process.exit(69);
}
