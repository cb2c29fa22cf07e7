import { parseArgs } from 'node:util';
import { collectPosture, type CollectOptions } from './collect.ts';
import { formatEvaluation, formatReport } from './format.ts';
import { evaluatePosture, loadPosturePolicy, PolicyFileError, type PosturePolicy } from './policy.ts';
import { AGENT_VERSION } from './version.ts';

export const EXIT = { compliant: 0, notCompliant: 1, unknown: 2, usage: 64, internal: 70 } as const;

export const HELP = `parley-agent — Parley device posture agent ${AGENT_VERSION}

Usage:
  parley-agent report [--json] [--policy <file>] [--timeout <ms>]
  parley-agent --help | --version

Commands:
  report            Collect this device's posture facts (OS, patches, disk encryption, firewall,
                    screen lock, Secure Boot, hardware identity) and print them with their evidence.

Options:
  --json            Print JSON instead of a table: the report, or {report, evaluation} with --policy.
  --policy <file>   Evaluate the facts against a JSON policy file (see agent/examples/policy.json).
  --timeout <ms>    Per-command timeout (default 5000, 100..600000). A tool that hangs is cut off
                    and its fact reported "unknown".
  -h, --help        Show this help.
  -v, --version     Print the agent version.

Exit status:
  0  report printed; with --policy: compliant
  1  with --policy: not compliant (a rule failed)
  2  with --policy: compliance unknown (a fact the policy needs could not be established)
  64 usage error (unknown option, missing or invalid policy file, bad value)
`;

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: CliIo = {
  out: (s) => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => void process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
};

/** Runs the CLI; returns the exit status instead of exiting, so tests and the launcher decide. */
export async function main(argv: string[], io: CliIo = stdio, collect: CollectOptions = {}): Promise<number> {
  const usage = (msg: string): number => {
    io.err(`parley-agent: ${msg}\nTry 'parley-agent --help'.`);
    return EXIT.usage;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        policy: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    const m = /Unknown option '([^']+)'/.exec((err as Error).message);
    return usage(m ? `unknown option '${m[1]}'` : (err as Error).message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (values.version) {
    io.out(AGENT_VERSION);
    return 0;
  }
  if (positionals.length === 0) return usage('missing command (did you mean "parley-agent report"?)');
  if (positionals[0] !== 'report') return usage(`unknown command '${positionals[0]}'`);
  if (positionals.length > 1) return usage(`unexpected argument '${positionals[1]}'`);
  let commandTimeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    if (!/^\d{1,6}$/.test(values.timeout) || +values.timeout < 100 || +values.timeout > 600_000) {
      return usage(`--timeout must be a number of milliseconds between 100 and 600000, got '${values.timeout}'`);
    }
    commandTimeoutMs = +values.timeout;
  }
  let policy: PosturePolicy | undefined;
  if (values.policy !== undefined) {
    if (values.policy === '') return usage('--policy needs a file name');
    try {
      policy = await loadPosturePolicy(values.policy);
    } catch (err) {
      if (err instanceof PolicyFileError) return usage(err.message);
      throw err;
    }
  }

  const report = await collectPosture({ ...collect, ...(commandTimeoutMs !== undefined ? { commandTimeoutMs } : {}) });
  const evaluation = policy ? evaluatePosture(report, policy) : undefined;
  if (values.json) io.out(JSON.stringify(evaluation ? { report, evaluation } : report, null, 2));
  else {
    io.out(formatReport(report));
    if (evaluation) io.out(`\n${formatEvaluation(evaluation, values.policy!)}`);
  }
  if (!evaluation) return 0;
  return evaluation.compliant === 'yes' ? EXIT.compliant : evaluation.compliant === 'no' ? EXIT.notCompliant : EXIT.unknown;
}
