import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from './csv.ts';

describe('csvCell', () => {
  it('leaves plain values alone', () => {
    expect(csvCell('EURUSD')).toBe('EURUSD');
    expect(csvCell(101.25)).toBe('101.25');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(NaN)).toBe('');
  });

  it.each([
    ['=cmd|\' /C calc\'!A0', `"'=cmd|' /C calc'!A0"`],
    ['+SUM(A1:A9)', `"'+SUM(A1:A9)"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(1)', `"'@SUM(1)"`],
    ['\t=1', `"'\t=1"`],
    ['＝HYPERLINK("x")', `"'＝HYPERLINK(""x"")"`],
  ])('defuses formula %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('quotes commas, quotes and newlines', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line1\nline2')).toBe('"line1\nline2"');
    expect(csvCell('cr\r')).toBe('"cr\r"');
    expect(csvCell(' padded ')).toBe('" padded "');
  });
});

describe('toCsv', () => {
  it('builds CRLF rows that a parser reads back to the same cells', () => {
    const csv = toCsv(['id', 'note'], [['1', 'a,"b"\nc'], ['2', '=1+1']]);
    expect(csv).toBe('id,note\r\n1,"a,""b""\nc"\r\n2,"\'=1+1"\r\n');
    expect(parseCsv(csv)).toEqual([['id', 'note'], ['1', 'a,"b"\nc'], ['2', "'=1+1"]]);
  });
});

// A minimal RFC 4180 reader, only to prove the writer round-trips.
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  return rows;
}
