// jspurefix, driven through its own benchmark class (ParseCase from jspurefix/dist/benchmark, the code behind
// its jsfix-bench tool) on the benchmark's messages, so it can be timed by the same harness as fix/.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface JspurefixCases {
  version: string;
  messagesPerPass: number;
  view: () => void;
  object: () => void;
}

interface ParseCaseLike {
  operationsPerInvocation: number;
  setup(): void;
  run(operations: number): number;
}

/** `contents`: the messages, one per line, fields separated by `delimiter`. */
export async function jspurefixCases(contents: string, delimiter = '|'): Promise<JspurefixCases> {
  require('reflect-metadata');
  const jsfix = require('jspurefix');
  const bench = require('jspurefix/dist/benchmark');
  const { AsciiChars } = require('jspurefix/dist/buffer/ascii');
  const { DITokens } = require('jspurefix/dist/runtime/di-tokens');
  const session = require('jspurefix/data/session/test-initiator.json');
  const sys = new jsfix.SessionContainer();
  sys.registerGlobal('error');
  const container = await sys.makeSystem(session);
  const config = container.resolve(DITokens.IJsFixConfig);
  config.definitions = await new jsfix.DefinitionFactory().getDefinitions('qf44');
  config.delimiter = AsciiChars.firstChar(delimiter);
  const make = (depth: string): ParseCaseLike => {
    const c = new bench.ParseCase(`parse:${depth}`, { config, contents, depth }) as ParseCaseLike;
    c.setup();
    return c;
  };
  const view = make(bench.ParseDepth.View);
  const object = make(bench.ParseDepth.Object);
  const per = view.operationsPerInvocation;
  return {
    version: require('jspurefix/package.json').version as string,
    messagesPerPass: per,
    view: () => { view.run(per); },
    object: () => { object.run(per); },
  };
}
