import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { IngestLimits } from '../media/limits.js';
import { RATIO_GRACE_BYTES } from '../media/limits.js';
import type { ArchiveItem, ArchiveProblemCode, NameEncoding } from './archive-entry.js';
import { ArchiveBudget, EntryPump } from './entry-pump.js';
import { decodeUtf8Name, displayName, normaliseEntryPath } from './entry-names.js';
import { problem } from './problems.js';

/**
 * 7z through the 7-Zip program (Debian package `7zip`, command `7zz`), in a child process: a crash or hang in the
 * decoder cannot take the server down, and the process is killed when the reader stops.
 *
 * Two runs: `l -slt` lists the entries (names, sizes, attributes, encryption, solid blocks) so that every refusal is
 * decided before a byte is decompressed; then one `x -so` writes all accepted files to a pipe, one after another in
 * archive order, which is split by the listed sizes. Refused entries are excluded by name (-spd: no wildcards, -r-:
 * no recursion), so solid blocks are decompressed once, not once per file. 7-Zip checks each file's CRC itself; a
 * stream that ends early or a non-zero exit becomes a problem record.
 */

const CANDIDATES = ['7zz', '7z', '7za'];
const MAX_LISTING_BYTES = 512 * 1024 * 1024;

/** The 7-Zip program: the explicit path, or the first of 7zz, 7z, 7za on PATH; null when there is none. */
export function findSevenZip(explicit?: string | null): string | null {
  if (explicit === null) return null;
  if (explicit !== undefined) return isExecutable(explicit) ? explicit : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of CANDIDATES) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface ListedEntry {
  readonly rawPath: string;
  readonly size: number;
  readonly packed: number | undefined;
  readonly mtime: Date | null;
  readonly attributes: string;
  readonly encrypted: boolean;
  readonly block: string;
  readonly crc: number | undefined;
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function childEnv(): NodeJS.ProcessEnv {
  // Times in the listing in UTC; no locale surprises.
  return { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' };
}

function runToEnd(bin: string, args: string[]): Promise<RunResult> {
  return new Promise((resolveRun) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_LISTING_BYTES) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 65536) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => resolveRun({ code: -1, stdout: Buffer.alloc(0), stderr: error.message }));
    child.on('close', (code) => resolveRun({ code, stdout: Buffer.concat(out), stderr }));
  });
}

function parseListing(text: string): ListedEntry[] {
  const entries: ListedEntry[] = [];
  for (const record of text.split(/\r?\n\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of record.split(/\r?\n/)) {
      const at = line.indexOf(' = ');
      if (at > 0) fields.set(line.slice(0, at), line.slice(at + 3));
      else if (line.endsWith(' =')) fields.set(line.slice(0, -2), '');
    }
    const rawPath = fields.get('Path');
    if (rawPath === undefined) continue;
    const size = Number(fields.get('Size') ?? '0');
    const packedText = fields.get('Packed Size') ?? '';
    const modified = fields.get('Modified') ?? '';
    const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?/.exec(modified);
    const mtime = m ? new Date(`${m[1]}T${m[2]}${m[3] ?? ''}Z`) : null;
    entries.push({
      rawPath,
      size: Number.isSafeInteger(size) && size >= 0 ? size : Number.NaN,
      packed: packedText === '' ? undefined : Number(packedText),
      mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : null,
      attributes: fields.get('Attributes') ?? '',
      encrypted: fields.get('Encrypted') === '+',
      block: fields.get('Block') ?? '',
      crc: /^[0-9A-Fa-f]{8}$/.test(fields.get('CRC') ?? '') ? parseInt(fields.get('CRC')!, 16) : undefined,
    });
  }
  return entries;
}

/** The Unix file type letter from 7-Zip's attribute column (`A -rw-r--r--`, `D drwxr-xr-x`, `A lrwxrwxrwx`). */
function unixType(attributes: string): string | undefined {
  const mode = /\s([-dlcbps])[-rwxsStT]{9}\b/.exec(` ${attributes}`);
  return mode?.[1];
}

function isDirectory(attributes: string): boolean {
  const windows = attributes.split(' ')[0] ?? '';
  return windows.includes('D') || unixType(attributes) === 'd';
}

class ChunkReader {
  private leftover: Buffer | undefined;
  private ended = false;
  constructor(private readonly iterator: AsyncIterator<Buffer>) {}

  private async pull(): Promise<Buffer | undefined> {
    if (this.leftover) {
      const chunk = this.leftover;
      this.leftover = undefined;
      return chunk;
    }
    if (this.ended) return undefined;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return undefined;
    }
    return next.value;
  }

  /** The next n bytes (fewer if the stream ends). */
  async *take(n: number): AsyncGenerator<Buffer, void, undefined> {
    let remaining = n;
    while (remaining > 0) {
      const chunk = await this.pull();
      if (!chunk) return;
      if (chunk.length > remaining) {
        this.leftover = chunk.subarray(remaining);
        remaining = 0;
        yield chunk.subarray(0, chunk.length - this.leftover.length);
      } else {
        remaining -= chunk.length;
        yield chunk;
      }
    }
  }

  /** Whether nothing is left (reads to the end, counting what is there). */
  async rest(): Promise<number> {
    let bytes = 0;
    for (let chunk = await this.pull(); chunk; chunk = await this.pull()) bytes += chunk.length;
    return bytes;
  }
}

export async function* readSevenZip(path: string, limits: IngestLimits, sevenZipPath?: string | null): AsyncGenerator<ArchiveItem, void, undefined> {
  const bin = findSevenZip(sevenZipPath);
  if (!bin) {
    yield problem('', 'unsupported', '7z archives need the 7-Zip program (Debian package 7zip, command 7zz), which is not installed');
    return;
  }
  const archive = resolve(path);
  // A password that nobody knows: 7-Zip never prompts, and encrypted entries fail instead of asking.
  const password = `-p${randomBytes(16).toString('hex')}`;
  const listing = await runToEnd(bin, ['l', '-slt', '-ba', '-t7z', '-sccUTF-8', password, '--', archive]);
  const listed = parseListing(listing.stdout.toString('utf8'));
  if (listing.code !== 0 && listed.length === 0) {
    const message = firstLine(listing.stderr) || `7-Zip exited with ${listing.code}`;
    const code: ArchiveProblemCode = /password|encrypted/i.test(listing.stderr) ? 'encrypted' : 'corrupt';
    yield problem('', code, code === 'encrypted' ? `encrypted 7z archive (names are encrypted too): ${message}` : `not a readable 7z archive (truncated or corrupt?): ${message}`);
    return;
  }

  // Decide every entry before decompressing anything.
  const blocks = new Map<string, { size: number; packed: number | undefined }>();
  for (const entry of listed) {
    if (!entry.block) continue;
    const block = blocks.get(entry.block) ?? { size: 0, packed: undefined };
    block.size += Number.isFinite(entry.size) ? entry.size : 0;
    if (entry.packed !== undefined && Number.isFinite(entry.packed)) block.packed = (block.packed ?? 0) + entry.packed;
    blocks.set(entry.block, block);
  }
  type Decision = { entry: ListedEntry; path: string; names: ReturnType<typeof namesOf>; refusal?: { code: ArchiveProblemCode; reason: string } };
  const decisions: Decision[] = [];
  let seen = 0;
  let tooMany = false;
  let declaredTotal = 0;
  for (const entry of listed) {
    seen++;
    if (seen > limits.maxArchiveEntries) {
      tooMany = true;
      break;
    }
    if (isDirectory(entry.attributes)) continue;
    const names = namesOf(entry.rawPath);
    const normalised = normaliseEntryPath(names.name);
    const at = normalised.ok ? normalised.path : displayName(names.name);
    const refuse = (code: ArchiveProblemCode, reason: string) => decisions.push({ entry, path: at, names, refusal: { code, reason } });
    const type = unixType(entry.attributes);
    const block = blocks.get(entry.block);
    if (!normalised.ok) refuse(normalised.code, normalised.reason);
    else if (type === 'l') refuse('link', 'symbolic link');
    else if (type && type !== '-') refuse('special_file', `not a regular file (type ${type})`);
    else if (entry.encrypted) refuse('encrypted', 'encrypted entry');
    else if (!Number.isFinite(entry.size)) refuse('corrupt', 'unreadable size in the listing');
    else if (entry.size > limits.maxFileBytes) refuse('too_large', `declared size ${entry.size} bytes is over the limit of ${limits.maxFileBytes}`);
    else if (block && block.packed !== undefined && block.size > RATIO_GRACE_BYTES && block.size / Math.max(1, block.packed) > limits.maxCompressionRatio) {
      refuse('ratio', `its solid block's compression ratio ${Math.round(block.size / Math.max(1, block.packed))}:1 is over the limit of ${limits.maxCompressionRatio}:1 (a decompression bomb?)`);
    } else if (declaredTotal + entry.size > limits.maxTotalUncompressedBytes) {
      refuse('total_size', `the archive's entries together declare more than ${limits.maxTotalUncompressedBytes} bytes`);
    } else {
      declaredTotal += entry.size;
      decisions.push({ entry, path: at, names });
    }
  }
  // Refused entries are excluded by name; an accepted entry with the same stored name would be excluded with them.
  const excluded = new Set(decisions.filter((d) => d.refusal).map((d) => d.entry.rawPath));
  for (const decision of decisions) {
    if (!decision.refusal && excluded.has(decision.entry.rawPath)) {
      decision.refusal = { code: 'duplicate_name', reason: 'another entry with the same name was refused' };
    }
  }
  const accepted = decisions.filter((d) => !d.refusal);

  let child: ChildProcess | undefined;
  let tempDir: string | undefined;
  let stderr = '';
  let exit: Promise<number | null> = Promise.resolve(0);
  try {
    let reader: ChunkReader | undefined;
    if (accepted.some((d) => d.entry.size > 0)) {
      const args = ['x', '-so', '-bd', '-y', '-t7z', '-spd', '-r-', '-scsUTF-8', '-sccUTF-8', password];
      if (excluded.size > 0) {
        tempDir = await mkdtemp(join(tmpdir(), 'ariadne-7z-'));
        const listFile = join(tempDir, 'exclude.txt');
        await writeFile(listFile, [...excluded].join('\n') + '\n', 'utf8');
        args.push(`-x@${listFile}`);
      }
      args.push('--', archive);
      const spawned = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
      child = spawned;
      exit = new Promise((resolveExit) => {
        spawned.on('error', (error) => {
          stderr ||= error.message;
          resolveExit(-1);
        });
        spawned.on('close', (code) => resolveExit(code));
      });
      spawned.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 65536) stderr += chunk.toString('utf8');
      });
      reader = new ChunkReader(spawned.stdout[Symbol.asyncIterator]());
    }
    const budget = new ArchiveBudget(limits.maxTotalUncompressedBytes);
    let broken = false;
    for (const decision of decisions) {
      const { entry, path: at, names } = decision;
      if (decision.refusal) {
        yield problem(at, decision.refusal.code, decision.refusal.reason, names);
        continue;
      }
      const source = reader;
      const pump = new EntryPump(
        () => (source && entry.size > 0 ? source.take(entry.size) : emptyBody()),
        // The CRC is checked here too: 7-Zip reports a mismatch only after it has written the bytes.
        { path: at, declaredSize: entry.size, maxFileBytes: limits.maxFileBytes, maxRatio: Infinity, exact: true, crc32: entry.size > 0 ? entry.crc : undefined },
        budget,
        'drain',
      );
      yield {
        kind: 'entry',
        path: at,
        size: entry.size,
        mtime: entry.mtime,
        nameEncoding: names.encoding,
        ...(names.rawHex ? { rawNameHex: names.rawHex } : {}),
        open: () => pump.open(),
      };
      await pump.settle();
      if (pump.failure) {
        yield problem(at, pump.failure.code, pump.failure.message, names);
        if (pump.failure.code === 'corrupt' || budget.exceeded) {
          broken = true;
          break;
        }
      }
    }
    if (tooMany) yield problem('', 'too_many_entries', `more than ${limits.maxArchiveEntries} entries: the rest are not read`);
    if (broken) {
      child?.kill('SIGKILL');
      const code = await exit;
      yield problem('', budget.exceeded ? 'total_size' : 'corrupt', `the 7z archive could not be read to its end (7-Zip exit ${code}): ${firstLine(stderr) || 'stream ended early'}`);
      return;
    }
    const extra = reader ? await reader.rest() : 0;
    const code = await exit;
    if (code !== 0 || extra > 0 || listing.code !== 0) {
      const message = firstLine(stderr) || firstLine(listing.stderr) || (extra > 0 ? `${extra} unexpected bytes after the last entry` : `7-Zip exited with ${code}`);
      yield problem('', 'corrupt', `the 7z archive is damaged: ${message}`);
    }
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

function namesOf(rawPath: string): { name: string; encoding: NameEncoding; rawHex?: string; nameEncoding: NameEncoding; rawNameHex?: string } {
  // 7-Zip stores names as UTF-16 and prints them as UTF-8; clean control characters all the same.
  const decoded = decodeUtf8Name(Buffer.from(rawPath, 'utf8'));
  return { ...decoded, nameEncoding: decoded.encoding, rawNameHex: decoded.rawHex };
}

async function* emptyBody(): AsyncGenerator<Buffer, void, undefined> {
  // no bytes
}

function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find((line) => line !== '' && !/^7-Zip|^Copyright|^p7zip|^Scanning|^Extracting archive|^--$|^Path =|^Type =/.test(line)) ?? ''
  ).slice(0, 500);
}
