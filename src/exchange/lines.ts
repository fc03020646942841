import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** One line of a text file, or the mark of a line that was too long to keep (its text is dropped, not held). */
export type Line = { readonly line: number; readonly text: string; readonly tooLong: false } | { readonly line: number; readonly text: ''; readonly tooLong: true };

/**
 * Splits a stream into lines (LF or CRLF; a UTF-8 byte order mark on the first line is dropped) holding at most
 * `maxLength` characters of any one line: a longer line is skimmed to its end and reported as too long, so an
 * enormous line costs no memory.
 */
export async function* readLines(input: Readable, maxLength: number): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let skipping = false;
  let lineNo = 0;
  let first = true;
  const finish = (text: string): Line => {
    lineNo++;
    let t = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (first) {
      first = false;
      if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    }
    return { line: lineNo, text: t, tooLong: false };
  };
  const chunks = async function* () {
    for await (const chunk of input as AsyncIterable<Buffer | string>) yield typeof chunk === 'string' ? chunk : decoder.write(chunk);
    yield decoder.end();
  };
  for await (const text of chunks()) {
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      if (nl < 0) break;
      if (skipping) {
        skipping = false;
        first = false;
        lineNo++;
        yield { line: lineNo, text: '', tooLong: true };
      } else if (partial.length + (nl - from) > maxLength + 1) {
        partial = '';
        first = false;
        lineNo++;
        yield { line: lineNo, text: '', tooLong: true };
      } else {
        yield finish(partial + text.slice(from, nl));
        partial = '';
      }
      from = nl + 1;
    }
    if (!skipping) {
      partial += text.slice(from);
      if (partial.length > maxLength + 1) {
        partial = '';
        skipping = true;
      }
    }
  }
  if (skipping) {
    lineNo++;
    yield { line: lineNo, text: '', tooLong: true };
  } else if (partial !== '') yield finish(partial);
}
