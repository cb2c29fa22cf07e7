/**
 * `npm run preview`: the client core under plain Node with the renderer in a browser on loopback (a
 * development and test tool for machines without the Electron binary; a packaged build never contains it).
 *
 *   npm run preview -- [--data <dir>] [--policy <file>] [--dist <dir>] [--port <n>]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PostureAgent } from '../../agent/collect.ts';
import { defaultPolicyPath } from '../config/policy.ts';
import { ClientCore } from '../core.ts';
import { bundleBridge } from './bundle.ts';
import { ensureRendererBuilt } from './renderer-build.ts';
import { startPreview } from './server.ts';

const HELP = `usage: npm run preview -- [options]

Runs Parley's client core under Node and serves the renderer to a browser on this machine (listening on
127.0.0.1; the printed URL says localhost, which security keys (WebAuthn) need). Open the printed URL: it
carries a per-run secret.

  --data <dir>     client data folder (default .data/client)
  --policy <file>  managed policy file (default ${defaultPolicyPath()} or $PARLEY_POLICY)
  --dist <dir>     built renderer (default renderer/dist; built there first when missing or older than
                   renderer/ sources)
  --port <n>       port on 127.0.0.1 / localhost (default: any free port)
  -h, --help       this help
`;

async function main(): Promise<number> {
  if (process.versions.electron) {
    console.error('parley: the browser preview is a development tool and never runs inside the packaged app');
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      options: {
        data: { type: 'string' },
        policy: { type: 'string' },
        dist: { type: 'string' },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`parley preview: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const root = process.env.PARLEY_ROOT ?? process.cwd();
  const dataDir = path.resolve(args.data ?? path.join(root, '.data', 'client'));
  const policyPath = path.resolve(args.policy ?? process.env.PARLEY_POLICY ?? defaultPolicyPath());
  const distDir = path.resolve(args.dist ?? path.join(root, 'renderer', 'dist'));
  const port = args.port === undefined ? 0 : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`parley preview: --port must be 0..65535, got ${args.port}`);
    return 2;
  }
  try {
    await ensureRendererBuilt(distDir);
  } catch (e) {
    console.error(`parley preview: ${(e as Error).message}`);
    return 1;
  }
  const posture = new PostureAgent();
  const core = new ClientCore({ dataDir, policyPath, host: 'preview', posture, log: { info: () => {}, warn: (m) => console.error(`parley: ${m}`), error: (m) => console.error(`parley: ${m}`) } });
  const state = await core.start();
  let preview;
  try {
    preview = await startPreview({ services: core.services, events: core.events, distDir, bridgeJs: await bundleBridge(), port });
  } catch (e) {
    await core.stop();
    const code = (e as NodeJS.ErrnoException).code;
    // A fixed port is chosen for a reason (the demo's WebAuthn origin names it): say so rather than pick another.
    if (code === 'EADDRINUSE') console.error(`parley preview: port ${port} on 127.0.0.1 is already in use (another preview or program holds it); stop that or pass another --port`);
    else if (code === 'EACCES') console.error(`parley preview: not allowed to listen on port ${port} (ports below 1024 need privileges); pass another --port`);
    else console.error(`parley preview: could not listen on 127.0.0.1:${port}: ${(e as Error).message}`);
    return 1;
  }
  console.log(`Parley preview (client state: ${state.state}${state.reason ? ` — ${state.reason}` : ''})`);
  console.log(`  policy: ${policyPath}${existsSync(policyPath) ? '' : ' (not found: no managed configuration)'}`);
  console.log(`  data:   ${dataDir}`);
  console.log(`Open in a browser on this machine:\n  ${preview.url}`);
  const stop = async () => {
    await preview.close();
    await core.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  return -1;
}

const code = await main();
if (code >= 0) process.exit(code);
