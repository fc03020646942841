import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { InvalidError } from '../core/errors.js';
import {
  emptyEntry,
  FieldError,
  hasHash,
  MAX_ALT_HASHES,
  MAX_TAGS,
  readBool,
  readCategory,
  readHex,
  readPhotoDna,
  readText,
  type ExchangeEntry,
  type ExchangeRecord,
} from './entry.js';
import { JsonTokenizer, type JsonSink } from './json-stream.js';

/**
 * Project VIC VICS JSON (data model 1.3 and 2.0), read as a stream: an OData document
 * `{"odata.metadata": "…/DataModels/2.0.xml/…#Media", "value": [ {media}, … ]}` (2.0 exporters may write
 * `@odata.context`), or `…#Cases` whose `value` holds cases each with a `Media` array. Only one media record is
 * held at a time; everything else is checked for structure and skipped.
 *
 * Tolerated as real exporters write them: a byte order mark, booleans as "true"/"false", `Series` as a string or an
 * object with a `Name`, hex in either case, PhotoDNA as base64 or hex, `MediaFiles`, `AlternativeHashes`
 * (`HashName`/`HashValue`) and `Exifs` arrays, missing optional fields, field names in any case.
 */
export type VicsKind = 'Media' | 'Cases';

export interface VicsHeader {
  readonly kind: VicsKind;
  /** "1.3", "2.0", or null when the metadata names no version. */
  readonly version: string | null;
}

/**
 * `unread`: a media record checked for structure (nesting, size) but not materialised or mapped, because the reader
 * was told so (`VicsReadOptions`); it counts as a record and says nothing about its fields.
 */
export type VicsEvent = { readonly type: 'header'; readonly header: VicsHeader } | ({ readonly type: 'record' } & ExchangeRecord) | { readonly type: 'unread' };

export interface VicsReadOptions {
  /**
   * Asked as each media record starts, with its 0-based position in the file: false reads it for structure only and
   * reports it as `unread`. (Asked while reading ahead of the events consumed.)
   */
  readonly materialise?: (record: number) => boolean;
}

export const VICS_LIMITS = { maxDepth: 64, maxStringLength: 1 << 20 } as const;
/** Values in one media record (its files, hashes, EXIF fields and tags together). */
const MAX_RECORD_VALUES = 20_000;
const SNIFF_CHARS = 4096;

const enum R {
  Root,
  Records,
  Case,
  CaseMedia,
  Skip,
  Build,
}

type Container = Record<string, unknown> | unknown[];

interface Frame {
  readonly role: R;
  readonly container: Container | null;
  key: string | null;
}

/** Turns tokenizer callbacks into VICS events (header, one record at a time). */
class VicsSink implements JsonSink {
  readonly out: VicsEvent[] = [];
  header: VicsHeader | null = null;
  private readonly frames: Frame[] = [];
  private recordValues = 0;
  private sawValue = false;
  private records = 0;
  /** Whether the current media record is being built (else only checked). */
  private building = true;

  constructor(
    private readonly line: () => number,
    /** Values the tokenizer skipped inside the last container it was told to skip. */
    private readonly skipped: () => number,
    private readonly what: string,
    private readonly materialise: (record: number) => boolean = () => true,
  ) {}

  private fail(message: string): never {
    throw new InvalidError(`${this.what}: line ${this.line()}: ${message}`);
  }

  /** The role of a value starting now, from its parent. */
  private childRole(): R {
    const top = this.frames[this.frames.length - 1];
    if (top === undefined) return R.Root;
    switch (top.role) {
      case R.Root:
        if (top.key === 'value') {
          if (this.header === null) this.fail('not a VICS file: no "odata.metadata" naming #Media or #Cases before "value"');
          this.sawValue = true;
          return R.Records;
        }
        return R.Skip;
      case R.Records:
        return this.header?.kind === 'Cases' ? R.Case : R.Build;
      case R.Case:
        return top.key !== null && top.key.toLowerCase() === 'media' ? R.CaseMedia : R.Skip;
      case R.CaseMedia:
        return R.Build;
      case R.Skip:
        return R.Skip;
      case R.Build:
        return R.Build;
    }
  }

  private isRecordStart(): boolean {
    const top = this.frames[this.frames.length - 1];
    return top !== undefined && ((top.role === R.Records && this.header?.kind === 'Media') || top.role === R.CaseMedia);
  }

  /** Returns true for a media record that is only checked: the tokenizer skips its contents (`skipped` counts them). */
  private start(array: boolean): boolean {
    const role = this.childRole();
    if (role === R.Root && array) this.fail('not a VICS file: the document is a JSON array, not an object');
    if (role === R.Records && !array) this.fail('"value" must be an array');
    if (role === R.CaseMedia && !array) this.fail('a case\'s "Media" must be an array');
    if (role === R.Case && array) this.fail('each case in "value" must be an object');
    let container: Container | null = null;
    let skip = false;
    if (role === R.Build) {
      if (this.isRecordStart()) {
        this.recordValues = 0;
        this.building = this.materialise(this.records);
        skip = !this.building;
      }
      this.count();
      if (this.building) {
        container = array ? [] : {};
        this.attach(container);
      }
    }
    this.frames.push({ role, container, key: null });
    return skip;
  }

  private count(values = 1): void {
    this.recordValues += values;
    if (this.recordValues > MAX_RECORD_VALUES) this.fail(`a media record with more than ${MAX_RECORD_VALUES} values`);
  }

  /** Adds a built value to the container being built (when the parent is being built). */
  private attach(value: unknown): void {
    const top = this.frames[this.frames.length - 1];
    if (top === undefined || top.role !== R.Build || top.container === null) return;
    if (Array.isArray(top.container)) top.container.push(value);
    else if (top.key !== null) top.container[top.key] = value;
  }

  private end(): void {
    const frame = this.frames.pop();
    if (frame === undefined) return;
    if (frame.role === R.Root && !this.sawValue) this.fail(this.header === null ? 'not a VICS file: no "odata.metadata" naming #Media or #Cases' : 'no "value" array');
    if (frame.role === R.Build && this.isRecordStart()) {
      if (this.building) this.record(frame.container);
      else {
        this.count(this.skipped());
        this.records++;
        this.out.push(UNREAD);
      }
    }
  }

  private record(value: unknown): void {
    this.records++;
    const line = this.line();
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.out.push({ type: 'record', ok: false, problem: { line, message: `media record ${this.records} is not an object` } });
      return;
    }
    try {
      this.out.push({ type: 'record', ok: true, entry: mapMedia(value as Record<string, unknown>), line });
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      this.out.push({ type: 'record', ok: false, problem: { line, message: `media record ${this.records}: ${error.message}` } });
    }
  }

  startObject(): boolean {
    return this.start(false);
  }
  endObject(): void {
    this.end();
  }
  startArray(): boolean {
    return this.start(true);
  }
  endArray(): void {
    this.end();
  }
  key(name: string): void {
    const top = this.frames[this.frames.length - 1];
    if (top) top.key = name;
  }
  scalar(value: string | number | boolean | null): void {
    const role = this.childRole();
    if (role === R.Root) this.fail('not a VICS file: the document is not a JSON object');
    if (role === R.Records) this.fail('"value" must be an array');
    const top = this.frames[this.frames.length - 1];
    if (top.role === R.Root && top.key !== null && (top.key === 'odata.metadata' || top.key === '@odata.context')) {
      this.header = parseMetadata(value, (m) => this.fail(m));
      this.out.push({ type: 'header', header: this.header });
      return;
    }
    if (role === R.Build) {
      if (this.isRecordStart()) {
        this.recordValues = 0;
        this.record(value);
        return;
      }
      this.count();
      if (this.building) this.attach(value);
    }
  }
}

const UNREAD: VicsEvent = { type: 'unread' };

function parseMetadata(value: unknown, fail: (m: string) => never): VicsHeader {
  if (typeof value !== 'string') return fail('not a VICS file: "odata.metadata" is not text');
  const m = /#(Media|Cases)\s*$/i.exec(value);
  if (!m) return fail(`not a VICS file: "odata.metadata" names neither #Media nor #Cases ("${value.slice(0, 120)}")`);
  const v = /DataModels\/(\d+\.\d+)/i.exec(value);
  if (v && v[1] !== '1.3' && v[1] !== '2.0') fail(`VICS data model ${v[1]} is not supported (1.3 and 2.0 are)`);
  return { kind: m[1].toLowerCase() === 'media' ? 'Media' : 'Cases', version: v ? v[1] : null };
}

/** Refuses, from its first bytes, a file that is not JSON text starting with an object. */
function sniff(text: string, what: string): void {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = t.trimStart();
  if (first === '') return;
  if (first[0] !== '{') throw new InvalidError(`${what}: not a VICS JSON file (it does not start with '{')`);
}

/**
 * Streams a VICS file: first a header event (before any record), then one event per media record. Structural
 * errors throw InvalidError; a record with a bad field is reported as a problem and reading goes on.
 */
export async function* readVics(input: Readable, what = 'the VICS file', options: VicsReadOptions = {}): AsyncGenerator<VicsEvent> {
  const decoder = new StringDecoder('utf8');
  let tokenizer: JsonTokenizer | undefined = undefined;
  const sink: VicsSink = new VicsSink(() => tokenizer?.line ?? 1, () => tokenizer?.skippedValues ?? 0, what, options.materialise);
  tokenizer = new JsonTokenizer(sink, VICS_LIMITS, what);
  let sniffed = '';
  let checked = false;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!checked) {
      sniffed += text;
      if (sniffed.trim().length === 0 && sniffed.length < SNIFF_CHARS) continue;
      sniff(sniffed, what);
      checked = true;
      tokenizer.feed(sniffed);
    } else tokenizer.feed(text);
    if (sink.out.length > 0) {
      yield* sink.out;
      sink.out.length = 0;
    }
  }
  const rest = decoder.end();
  if (!checked) {
    sniff(sniffed + rest, what);
    tokenizer.feed(sniffed);
  }
  if (rest) tokenizer.feed(rest);
  tokenizer.end();
  yield* sink.out;
  sink.out.length = 0;
}

/** Case-insensitive access to a record's fields (exporters disagree on case). */
function fields(record: Record<string, unknown>): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const k of Object.keys(record)) m.set(k.toLowerCase(), record[k]);
  return m;
}

function mapMedia(record: Record<string, unknown>): ExchangeEntry {
  const f = fields(record);
  const e = emptyEntry();
  const id = f.get('mediaid');
  if (id !== undefined && id !== null) {
    if (typeof id !== 'number' && typeof id !== 'string') throw new FieldError('MediaID must be a number or text');
    e.mediaRef = String(id).slice(0, 200);
  }
  e.md5 = readHex(f.get('md5'), 'MD5', 32);
  e.sha1 = readHex(f.get('sha1'), 'SHA1', 40);
  e.sha256 = readHex(f.get('sha256'), 'SHA256', 64);
  e.photoDna = readPhotoDna(f.get('photodna'));
  e.category = readCategory(f.get('category'));
  e.victimIdentified = readBool(f.get('victimidentified'), 'VictimIdentified');
  e.offenderIdentified = readBool(f.get('offenderidentified'), 'OffenderIdentified');
  e.distributed = readBool(f.get('isdistributed'), 'IsDistributed');
  e.baseline = readBool(f.get('baseline'), 'Baseline');
  e.series = readSeries(f.get('series'));
  e.tags = readTags(f.get('tags'));
  e.mediaType = readText(f.get('mediatype') ?? f.get('filetype'), 'MediaType');
  const files = f.get('mediafiles');
  if (files !== undefined && files !== null) {
    if (!Array.isArray(files)) throw new FieldError('MediaFiles must be an array');
    for (const file of files) {
      if (file === null || typeof file !== 'object' || Array.isArray(file)) throw new FieldError('each of MediaFiles must be an object');
      const ff = fields(file as Record<string, unknown>);
      e.fileName ??= readText(ff.get('filename'), 'MediaFiles.FileName');
    }
  }
  const alt = f.get('alternativehashes');
  if (alt !== undefined && alt !== null) {
    if (!Array.isArray(alt)) throw new FieldError('AlternativeHashes must be an array');
    const others: Array<{ name: string; value: string }> = [];
    for (const h of alt) {
      if (h === null || typeof h !== 'object' || Array.isArray(h)) throw new FieldError('each of AlternativeHashes must be an object');
      const hf = fields(h as Record<string, unknown>);
      const name = readText(hf.get('hashname'), 'AlternativeHashes.HashName');
      const value = readText(hf.get('hashvalue'), 'AlternativeHashes.HashValue');
      if (name === null || value === null) continue;
      const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
      if (n === 'pdq') e.pdq = readHex(value, 'PDQ', 64);
      else if (n === 'sha256') e.sha256 ??= readHex(value, 'SHA256', 64);
      else if (n === 'photodna') e.photoDna ??= readPhotoDna(value);
      else if (n === 'md5') e.md5 ??= readHex(value, 'MD5', 32);
      else if (n === 'sha1') e.sha1 ??= readHex(value, 'SHA1', 40);
      else if (others.length < MAX_ALT_HASHES) others.push({ name, value });
    }
    e.altHashes = others;
  }
  const exifs = f.get('exifs');
  if (exifs !== undefined && exifs !== null && !Array.isArray(exifs)) throw new FieldError('Exifs must be an array');
  if (!hasHash(e)) throw new FieldError('no MD5, SHA1, SHA256 or PDQ hash');
  return e;
}

function readSeries(value: unknown): string | null {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const sf = fields(value as Record<string, unknown>);
    return readText(sf.get('name') ?? sf.get('seriesname') ?? sf.get('series'), 'Series.Name');
  }
  return readText(value, 'Series');
}

function readTags(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const list = typeof value === 'string' ? value.split(/[;,]/) : Array.isArray(value) ? value : null;
  if (list === null) throw new FieldError('Tags must be an array or text');
  const out: string[] = [];
  for (const t of list) {
    const text = typeof t === 'object' && t !== null && !Array.isArray(t) ? readText(fields(t as Record<string, unknown>).get('name') ?? null, 'Tags.Name') : readText(t, 'Tags');
    if (text !== null && out.length < MAX_TAGS && !out.includes(text)) out.push(text);
  }
  return out;
}
