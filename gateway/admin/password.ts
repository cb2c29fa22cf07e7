/**
 * Reading a password for the admin CLI without it ever being on a command line (every local user sees those in
 * ps, issue 10 item 11): from a file, from piped standard input, or typed at the terminal with echo off.
 */
import { readFileSync } from 'node:fs';

/** Reads one line from a terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D with nothing typed rejects. */
export function promptHidden(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    // Echo off before the prompt shows: whatever is typed after seeing it is never echoed.
    input.setRawMode(true);
    input.setEncoding('utf8');
    output.write(prompt);
    const done = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') { done(); resolve(typed); return; }
        if (ch === '\u0003' || (ch === '\u0004' && typed === '')) { done(); reject(new Error('no password typed')); return; }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/** Standard input: typed with echo off when it is a terminal, else read to its end (a pipe, a here-string). */
export async function readStdinPassword(): Promise<string> {
  if (process.stdin.isTTY) return promptHidden('password: ');
  return readFileSync(0, 'utf8');
}
