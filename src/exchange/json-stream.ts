import { InvalidError } from '../core/errors.js';

/**
 * A push tokenizer for JSON that never holds more than one token of the input: text is fed in chunks and the
 * structure is reported to a sink as it is read. Nesting depth and the length of strings and numbers are bounded,
 * and every error names the line it was found on, so a hostile file (10,000 levels of nesting, a gigabyte string,
 * a truncated document) fails with a clear InvalidError instead of exhausting memory or the stack.
 */
export interface JsonSink {
  /**
   * A container starts. Returning true skips its contents: they are still read and checked (nesting, lengths,
   * grammar) but not reported, and the tokenizer reports only the container's end (see `skippedValues`).
   */
  startObject(): void | boolean;
  endObject(): void;
  startArray(): void | boolean;
  endArray(): void;
  key(name: string): void;
  scalar(value: string | number | boolean | null): void;
}

export interface JsonLimits {
  readonly maxDepth: number;
  /** Characters in one string (after the opening quote, escapes counted as written). */
  readonly maxStringLength: number;
}

const enum S {
  Value, // a value is expected (top level, after ':' or after ',' in an array)
  ValueOrEnd, // after '['
  KeyOrEnd, // after '{'
  Key, // after ',' in an object
  Colon,
  CommaOrEnd,
  Done,
}

const OBJECT = 1;
const ARRAY = 2;
const MAX_LITERAL = 64;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export class JsonTokenizer {
  private state: S = S.Value;
  private readonly stack: Uint8Array;
  private depth = 0;
  private pending = '';
  private lineNo = 1;
  private started = false;
  /** Depth of the container whose contents are being skipped (0: none). */
  private skipFrom = 0;
  private skipped = 0;

  constructor(
    private readonly sink: JsonSink,
    private readonly limits: JsonLimits,
    /** What the input is called in error messages. */
    private readonly what = 'the file',
  ) {
    this.stack = new Uint8Array(limits.maxDepth + 1);
  }

  /** The line the tokenizer has reached (1-based). */
  get line(): number {
    return this.lineNo;
  }

  /** Values (scalars and containers, at any depth) inside the last container whose contents were skipped. */
  get skippedValues(): number {
    return this.skipped;
  }

  get finished(): boolean {
    return this.state === S.Done;
  }

  feed(chunk: string): void {
    let s = this.pending === '' ? chunk : this.pending + chunk;
    this.pending = '';
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1); // UTF-8 byte order mark, as some exporters write
    }
    this.run(s, false);
  }

  /** Call at the end of the input: a document that is not complete is refused. */
  end(): void {
    const s = this.pending;
    this.pending = '';
    if (s !== '') this.run(s, true);
    if (this.state !== S.Done) throw this.error(this.depth > 0 || this.started ? 'ends before the JSON document is complete (truncated?)' : 'is empty');
  }

  private error(message: string): InvalidError {
    return new InvalidError(`${this.what}: line ${this.lineNo}: ${message}`);
  }

  private run(s: string, final: boolean): void {
    const n = s.length;
    let i = 0;
    const sink = this.sink;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        i++;
        continue;
      }
      if (c === 0x0a) {
        this.lineNo++;
        i++;
        continue;
      }
      switch (this.state) {
        case S.Done:
          throw this.error(`unexpected ${describe(c)} after the end of the JSON document`);
        case S.Colon:
          if (c !== 0x3a) throw this.error(`expected ':' after a key, found ${describe(c)}`);
          this.state = S.Value;
          i++;
          continue;
        case S.CommaOrEnd: {
          const top = this.stack[this.depth];
          if (c === 0x2c) {
            this.state = top === OBJECT ? S.Key : S.Value;
            i++;
            continue;
          }
          if ((c === 0x7d && top === OBJECT) || (c === 0x5d && top === ARRAY)) {
            this.close(c === 0x7d);
            i++;
            continue;
          }
          throw this.error(`expected ',' or '${top === OBJECT ? '}' : ']'}', found ${describe(c)}`);
        }
        case S.KeyOrEnd:
        case S.Key: {
          if (c === 0x7d && this.state === S.KeyOrEnd) {
            this.close(true);
            i++;
            continue;
          }
          if (c !== 0x22) throw this.error(`expected a quoted key, found ${describe(c)}`);
          const end = this.stringEnd(s, i, final);
          if (end < 0) {
            this.pending = s.slice(i);
            return;
          }
          if (this.skipFrom === 0) sink.key(this.decodeString(s, i + 1, end));
          else this.checkString(s, i + 1, end);
          this.state = S.Colon;
          i = end + 1;
          continue;
        }
        case S.Value:
        case S.ValueOrEnd: {
          if (c === 0x5d && this.state === S.ValueOrEnd) {
            this.close(false);
            i++;
            continue;
          }
          if (c === 0x7b || c === 0x5b) {
            if (this.depth >= this.limits.maxDepth) throw this.error(`nesting deeper than ${this.limits.maxDepth} levels`);
            this.depth++;
            const object = c === 0x7b;
            this.stack[this.depth] = object ? OBJECT : ARRAY;
            this.state = object ? S.KeyOrEnd : S.ValueOrEnd;
            if (this.skipFrom !== 0) this.skipped++;
            else if ((object ? sink.startObject() : sink.startArray()) === true) {
              this.skipFrom = this.depth;
              this.skipped = 0;
            }
            i++;
            continue;
          }
          if (c === 0x22) {
            const end = this.stringEnd(s, i, final);
            if (end < 0) {
              this.pending = s.slice(i);
              return;
            }
            if (this.skipFrom === 0) {
              const value = this.decodeString(s, i + 1, end);
              this.afterValue();
              sink.scalar(value);
            } else {
              this.checkString(s, i + 1, end);
              this.afterValue();
              this.skipped++;
            }
            i = end + 1;
            continue;
          }
          // number or literal
          let j = i;
          while (j < n && j - i <= MAX_LITERAL) {
            const d = s.charCodeAt(j);
            if ((d >= 0x30 && d <= 0x39) || (d >= 0x61 && d <= 0x7a) || d === 0x2d || d === 0x2b || d === 0x2e || (d >= 0x41 && d <= 0x5a)) j++;
            else break;
          }
          if (j - i > MAX_LITERAL) throw this.error(`a number or literal longer than ${MAX_LITERAL} characters`);
          if (j === n && !final) {
            this.pending = s.slice(i);
            return;
          }
          if (j === i) throw this.error(`expected a value, found ${describe(c)}`);
          const text = s.slice(i, j);
          let value: number | boolean | null;
          if (text === 'true') value = true;
          else if (text === 'false') value = false;
          else if (text === 'null') value = null;
          else if (NUMBER.test(text)) value = this.skipFrom === 0 ? Number(text) : 0;
          else if (j === n) throw this.error('ends inside a value (truncated?)');
          else throw this.error(`not a JSON value: "${text.slice(0, 40)}"`);
          this.afterValue();
          if (this.skipFrom === 0) sink.scalar(value);
          else this.skipped++;
          i = j;
          continue;
        }
      }
    }
  }

  private close(object: boolean): void {
    const closing = this.depth;
    this.depth--;
    this.afterValue();
    if (this.skipFrom !== 0) {
      if (closing > this.skipFrom) return;
      this.skipFrom = 0;
    }
    if (object) this.sink.endObject();
    else this.sink.endArray();
  }

  private afterValue(): void {
    this.state = this.depth === 0 ? S.Done : S.CommaOrEnd;
  }

  /** Index of the closing quote of the string opening at `start`, or -1 when the input ends first. */
  private stringEnd(s: string, start: number, final: boolean): number {
    let from = start + 1;
    const limit = start + 1 + this.limits.maxStringLength;
    for (;;) {
      const q = s.indexOf('"', from);
      if (q < 0 || q > limit) {
        if (q > limit || s.length > limit) throw this.error(`a string longer than ${this.limits.maxStringLength} characters`);
        if (final) throw this.error('ends inside a string (truncated?)');
        return -1;
      }
      let backslashes = 0;
      for (let k = q - 1; k > start && s.charCodeAt(k) === 0x5c; k--) backslashes++;
      if (backslashes % 2 === 0) return q;
      from = q + 1;
    }
  }

  /** What decodeString checks, without building the string (skipped contents). */
  private checkString(s: string, from: number, to: number): void {
    let lineBreak = false;
    for (let k = from; k < to; k++) {
      const c = s.charCodeAt(k);
      if (c === 0x5c) {
        this.decodeString(s, from, to);
        return;
      }
      if (c === 0x0a) lineBreak = true;
    }
    if (lineBreak) throw this.error('a raw line break inside a string');
  }

  private decodeString(s: string, from: number, to: number): string {
    const raw = s.slice(from, to);
    if (raw.indexOf('\\') < 0) {
      if (raw.indexOf('\n') >= 0) throw this.error('a raw line break inside a string');
      return raw;
    }
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      throw this.error('a string with an invalid escape or control character');
    }
  }
}

function describe(c: number): string {
  if (c < 0x20 || c > 0x7e) return `character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
  return `'${String.fromCharCode(c)}'`;
}
