// jspurefix's rounds, in a Node process of their own: run.ts sends 'round', this answers with the rates. A
// separate heap means neither implementation's garbage is collected on the other's time (in one process,
// jspurefix's large retained heap made fix/'s rounds ~25 % slower and vice versa).
import { readFileSync } from 'node:fs';
import { jspurefixCases } from './jspurefix.ts';
import { measure } from './measure.ts';

const [file, msArg] = process.argv.slice(2);
if (file === undefined || process.send === undefined) throw new Error('usage: forked by run.ts with <mix-pipe-file> <ms>');
const send = process.send.bind(process);
const minMs = Number(msArg ?? 400);
const js = await jspurefixCases(readFileSync(file, 'latin1'), '|');
send({ ready: true, version: js.version, messagesPerPass: js.messagesPerPass });
process.on('message', (m: unknown) => {
  if (m === 'round') {
    const object = measure(js.messagesPerPass, js.object, { minMs });
    const view = measure(js.messagesPerPass, js.view, { minMs });
    send({ object, view });
  } else {
    process.exit(0);
  }
});
