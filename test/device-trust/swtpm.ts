/**
 * A software TPM 2.0 for tests: Debian's swtpm, manufactured by swtpm_setup with an EK certificate from a local
 * CA of its own (in the test's temp folder, never /var/lib/swtpm-localca), served on two loopback ports.
 * Each instance is a different "machine" with a different manufacturer root.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../fix/interop/quickfix.ts';

const TOOLS = ['/usr/bin/swtpm', '/usr/bin/swtpm_setup', '/usr/bin/swtpm_localca', '/usr/bin/tpm2_createek', '/usr/bin/tpm2_certify', '/usr/bin/tpm2_activatecredential'];

/** Why the TPM tests cannot run here, or undefined when they can. */
export function swtpmMissing(): string | undefined {
  const missing = TOOLS.filter((t) => !existsSync(t));
  return missing.length ? `needs Debian's swtpm, swtpm-tools and tpm2-tools (missing ${missing.join(', ')}); scripts/deps.sh installs them when run as root` : undefined;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

const portFree = (port: number) => new Promise<boolean>((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(false));
  s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});

const canConnect = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

export class SoftwareTpm {
  readonly dir: string;
  readonly tcti: string;
  readonly #child: ChildProcess;

  private constructor(dir: string, tcti: string, child: ChildProcess) {
    this.dir = dir;
    this.tcti = tcti;
    this.#child = child;
  }

  /** Manufactures a TPM in `dir` (state + its own CA) and starts it. */
  static async start(dir: string, manufacturer = 'Parley test TPM'): Promise<SoftwareTpm> {
    const state = join(dir, 'state');
    const ca = join(dir, 'ca');
    mkdirSync(state, { recursive: true, mode: 0o700 });
    mkdirSync(ca, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'localca.conf'), `statedir = ${ca}\nsigningkey = ${ca}/signkey.pem\nissuercert = ${ca}/issuercert.pem\ncertserial = ${ca}/certserial\n`);
    writeFileSync(join(dir, 'localca.options'), `--platform-manufacturer ${manufacturer.replace(/\s/g, '_')}\n--platform-version 2.1\n--platform-model test\n`);
    writeFileSync(join(dir, 'setup.conf'), `create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = ${dir}/localca.conf\ncreate_certs_tool_options = ${dir}/localca.options\nactive_pcr_banks = sha256\n`);
    await run('swtpm_setup', ['--tpm2', '--tpmstate', state, '--create-ek-cert', '--config', join(dir, 'setup.conf')]);
    // The swtpm TCTI talks to the control channel on port + 1.
    let port = await freePort();
    while (port > 65_000 || !(await portFree(port + 1))) port = await freePort();
    const ctrl = port + 1;
    const child = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${state}`, '--server', `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl', `type=tcp,port=${ctrl},bindaddr=127.0.0.1`, '--flags', 'not-need-init,startup-clear'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
    const t = new SoftwareTpm(dir, `swtpm:host=127.0.0.1,port=${port}`, child);
    for (let i = 0; i < 600 && !(await canConnect(port)); i++) {
      if (child.exitCode !== null) throw new Error(`swtpm exited: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return t;
  }

  /** The manufacturer root and intermediate (swtpm-localca's) that issued this TPM's EK certificate. */
  get rootPem(): string { return readFileSync(join(this.dir, 'ca', 'swtpm-localca-rootca-cert.pem'), 'utf8'); }
  get intermediatePem(): string { return readFileSync(join(this.dir, 'ca', 'issuercert.pem'), 'utf8'); }

  /** A tpm2-tools call against this TPM, transient objects flushed after. */
  async tool(cmd: string, args: string[]): Promise<string> {
    const env = { ...process.env, TPM2TOOLS_TCTI: this.tcti };
    try {
      return await run(cmd, args, env);
    } finally {
      await run('tpm2_flushcontext', ['-t'], env).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const closed = new Promise((r) => this.#child.once('close', r));
    this.#child.kill('SIGTERM');
    await closed;
  }
}
