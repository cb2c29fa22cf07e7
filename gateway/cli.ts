/**
 * `npm run gateway -- …`: runs the gateway, or administers it.
 * Exit codes: 0 done, 1 the operation failed, 2 usage error, 3 bad configuration or startup failure,
 * 4 the command needs a running gateway and none answers.
 *
 * Administration goes through the admin contract (admin/contract.ts): the arguments are checked against the
 * command's schema here, sent over the admin socket to a running gateway (which checks them again and runs the
 * command on its live state), and the result is checked on the way back. With no gateway running, the same
 * handler runs in this process against the files — one code path either way.
 */
import { parseArgs as parseArgv } from 'node:util';
import { adminCall } from './admin/channel.ts';
import { CLI_COMMANDS, GLOBAL_OPTIONS, UsageError, usageLines, type CliCommand, type CliEnv, type Values } from './admin/cli-commands.ts';
import { AdminFailure, needsGateway, validateArgs, validateResult, type AdminErrorCode } from './admin/contract.ts';
import { run as runHandler } from './admin/dispatch.ts';
import { filesContext } from './admin/offline.ts';
import { readStdinPassword } from './admin/password.ts';
import { ConfigError, loadConfig, parseConfig, type GatewayConfig } from './config.ts';
import { ROLES } from './identity/directory.ts';
import { Gateway } from './server.ts';

export { parseDuration } from './admin/cli-commands.ts';

const HELP = `Parley gateway

Run:
  npm run gateway -- [--config <file>]            start the gateway (default config: embedded defaults,
                                                  data in ./.data/gateway; see gateway/example/gateway.json)
Administer (add --config <file> to name the same config the gateway runs with):
${usageLines().join('\n')}

Passwords are read from standard input (--password-stdin; typed unechoed on a terminal) or a file (--password-file),
never from the command line.
Roles: ${ROLES.join(', ')}
Exit codes: 0 ok, 1 failed, 2 usage, 3 configuration/startup, 4 gateway not running.`;

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };
/** Every option any command takes, for the first pass (before the command is known); repeatable if any command repeats it. */
const ALL_OPTIONS: Record<string, OptionSpec> = {};
for (const opts of [GLOBAL_OPTIONS, ...CLI_COMMANDS.map((c) => c.options)] as Record<string, OptionSpec>[]) {
  for (const [name, o] of Object.entries(opts)) ALL_OPTIONS[name] = { ...o, multiple: Boolean(o.multiple || ALL_OPTIONS[name]?.multiple) };
}

/**
 * One pass of node:util parseArgs with the given options, refusing what strict mode refuses but saying which
 * option (read from parseArgs' tokens, not its messages): unknown, missing value, value given to a flag, repeated.
 */
function parseWith(argv: string[], options: Record<string, OptionSpec>): { positionals: string[]; values: Values } {
  const { tokens, values, positionals } = parseArgv({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (t.name === 'password') throw new UsageError('--password is not accepted: the command line is visible to every local user (ps); use --password-stdin or --password-file <file>');
    if (!spec) throw new UsageError(Object.hasOwn(ALL_OPTIONS, t.name) && /^[a-z][a-z0-9-]*$/.test(t.name) ? `${t.rawName} does not apply to this command` : `bad option ${t.rawName}`);
    if (spec.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('--')))) throw new UsageError(`${t.rawName} needs a value`);
    if (spec.type === 'boolean' && t.value !== undefined) throw new UsageError(`${t.rawName} takes no value`);
    if (!spec.multiple && seen.has(t.name)) throw new UsageError(`${t.rawName} given more than once`);
    seen.add(t.name);
  }
  return { positionals, values: values as Values };
}

/** The first pass, over every option any command knows (the command is not known yet). */
export function parseArgs(argv: string[]): { positional: string[]; flags: Map<string, string[]> } {
  const { positionals, values } = parseWith(argv, ALL_OPTIONS);
  const flags = new Map<string, string[]>();
  for (const [k, v] of Object.entries(values)) flags.set(k, (Array.isArray(v) ? v : [v]).map((x) => (x === true ? '' : String(x))));
  return { positional: positionals, flags };
}

function findCommand(words: string[]): CliCommand {
  const exact = CLI_COMMANDS.find((c) => c.words.length === words.length && c.words.every((w, i) => w === words[i]));
  if (exact) return exact;
  // Name what would have been valid at the first word that went wrong.
  for (let n = words.length; n >= 0; n--) {
    const under = CLI_COMMANDS.filter((c) => c.words.length > n && words.slice(0, n).every((w, i) => c.words[i] === w));
    if (under.length === 0) continue;
    const next = [...new Set(under.map((c) => c.words[n]!))];
    const where = words.slice(0, n).join(' ');
    throw new UsageError(`unknown ${where ? `${where} ` : ''}command ${words[n] ?? '(none)'}: ${next.join(', ')}`);
  }
  throw new UsageError(`unknown command ${words.join(' ')}`);
}

function config(values: Values): GatewayConfig {
  const file = (values.config as string | undefined) ?? process.env.PARLEY_GATEWAY_CONFIG;
  return file ? loadConfig(file) : parseConfig({}, '<inline>');
}

function print(v: unknown): void {
  process.stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`);
}

function env(cfg: GatewayConfig): CliEnv {
  return {
    cfg, print, error: (line) => process.stderr.write(`${line}\n`), stdinPassword: readStdinPassword,
    execute: async (cmd, args) => {
      const valid = validateArgs(cmd, args);
      try {
        return { result: validateResult(cmd, await adminCall(cfg.paths.adminSocket, cmd, valid)), where: 'gateway' };
      } catch (e) {
        // Only "nobody listens on the socket" falls back to the files, and only for what works without a gateway.
        if (!(e instanceof AdminFailure) || e.code !== 'not-running' || needsGateway(cmd)) throw e;
      }
      return { result: await runHandler(filesContext(cfg), cmd, valid), where: 'files' };
    },
  };
}

const EXIT: Record<AdminErrorCode, number> = {
  'not-running': 4, 'malformed-request': 1, 'unknown-command': 2, 'invalid-arguments': 2, 'not-found': 1, refused: 1,
  'invalid-response': 1, 'no-answer': 1, internal: 1,
};

export async function main(argv: string[]): Promise<number> {
  let words: string[];
  let global: Values;
  try {
    const first = parseWith(argv, ALL_OPTIONS);
    global = first.values;
    words = first.positionals[0] === 'admin' ? first.positionals.slice(1) : first.positionals;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (global.help === true || words[0] === 'help') { print(HELP); return 0; }
  let cfg: GatewayConfig;
  try {
    cfg = config(global);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 3;
  }
  try {
    if (words.length === 0 || (words.length === 1 && words[0] === 'run')) return await run(cfg);
    const command = findCommand(words);
    const { values } = parseWith(argv, { ...GLOBAL_OPTIONS, ...command.options });
    return (await command.run(values, env(cfg))) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`${e.message}\n(see --help)\n`); return 2; }
    if (e instanceof ConfigError) { process.stderr.write(`${e.message}\n`); return 3; }
    process.stderr.write(`${(e as Error).message}\n`);
    return e instanceof AdminFailure ? EXIT[e.code] : 1;
  }
}

async function run(cfg: GatewayConfig): Promise<number> {
  let gw: Gateway;
  try {
    gw = await Gateway.start(cfg);
  } catch (e) {
    process.stderr.write(`gateway: cannot start: ${(e as Error).message}\n`);
    return 3;
  }
  const p = cfg.paths;
  process.stdout.write([
    `Parley gateway running (config: ${cfg.source})`,
    `  FIX 4.4 over mutual TLS   127.0.0.1:${gw.fixPort}   TargetCompID ${cfg.fix.compId}`,
    `  enrollment (HTTPS)        https://127.0.0.1:${gw.enrollPort}/v1/enroll`,
    `  CA certificate            ${p.caCert}`,
    `  admin socket              ${p.adminSocket}`,
    `  audit log                 ${p.audit}`,
    `  policy                    ${p.policyDir} (${gw.policy.mode})`,
    '',
  ].join('\n'));
  // A bug in one session's handling must not take the gateway (and every other session) down.
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`gateway: unhandled rejection: ${(e as Error)?.stack ?? String(e)}\n`);
    gw.audit.event('gateway.internal-error', { error: String((e as Error)?.message ?? e) });
  });
  process.on('SIGHUP', () => {
    void (async () => {
      const r = await gw.reloadPolicy('SIGHUP');
      process.stdout.write(r.ok ? `gateway: policy reloaded (${r.policies} policies)\n` : `gateway: policy reload failed, previous policy kept: ${r.error}\n`);
      try { await gw.reloadUsers('SIGHUP'); } catch (e) { process.stdout.write(`gateway: user directory reload failed: ${(e as Error).message}\n`); }
    })();
  });
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('gateway: stopping\n');
  await gw.close();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gateway/cli.ts')) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => { process.stderr.write(`${(e as Error).stack ?? String(e)}\n`); process.exit(1); });
}
