import { describe, expect, it } from 'vitest';
import { JsonTokenizer, type JsonSink } from '../../src/exchange/json-stream.js';

/** Records what the tokenizer reports; skips the contents of containers whose key is "skip". */
class Recorder implements JsonSink {
  readonly events: string[] = [];
  private lastKey: string | null = null;
  tokenizer: JsonTokenizer | null = null;
  startObject(): boolean {
    return this.open('{');
  }
  startArray(): boolean {
    return this.open('[');
  }
  endObject(): void {
    this.events.push(`} skipped=${this.tokenizer?.skippedValues}`);
  }
  endArray(): void {
    this.events.push(`] skipped=${this.tokenizer?.skippedValues}`);
  }
  key(name: string): void {
    this.lastKey = name;
    this.events.push(`key ${name}`);
  }
  scalar(value: string | number | boolean | null): void {
    this.events.push(`scalar ${JSON.stringify(value)}`);
  }
  private open(kind: string): boolean {
    this.events.push(kind);
    return this.lastKey === 'skip';
  }
}

function tokenize(text: string, chunk = 3): string[] {
  const sink = new Recorder();
  const tokenizer = new JsonTokenizer(sink, { maxDepth: 8, maxStringLength: 100 });
  sink.tokenizer = tokenizer;
  for (let i = 0; i < text.length; i += chunk) tokenizer.feed(text.slice(i, i + chunk));
  tokenizer.end();
  return sink.events;
}

describe('JSON tokenizer: skipped contents', () => {
  it('reports a skipped container only by its end, with the values inside counted, and goes on after it', () => {
    const events = tokenize('{"a":1,"skip":{"x":[1,"two",{"y":null}],"z":"\\u0041"},"b":[true],"skip":[]}');
    expect(events).toEqual(['{', 'key a', 'scalar 1', 'key skip', '{', '} skipped=6', 'key b', '[', 'scalar true', '] skipped=6', 'key skip', '[', '] skipped=0', '} skipped=0']);
  });

  it('still checks what it skips: escapes, raw line breaks, literals, nesting, string length, truncation', () => {
    expect(() => tokenize('{"skip":{"x":"bad \\q escape"}}')).toThrow(/invalid escape/);
    expect(() => tokenize('{"skip":{"x":"line\nbreak"}}')).toThrow(/raw line break/);
    expect(() => tokenize('{"skip":{"x":nul}}')).toThrow(/not a JSON value/);
    expect(() => tokenize('{"skip":[[[[[[[[1]]]]]]]]}')).toThrow(/nesting deeper than 8/);
    expect(() => tokenize(`{"skip":{"x":"${'s'.repeat(200)}"}}`)).toThrow(/longer than 100/);
    expect(() => tokenize('{"skip":{"x":1,')).toThrow(/truncated/);
    expect(() => tokenize('{"skip":{"x":1]}')).toThrow(/expected ',' or '}'/);
  });
});
