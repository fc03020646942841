import { ConflictError, InvalidError, NotFoundError } from '../core/errors.js';
import type { RawImage } from './pdq/pdq-hasher.js';

/**
 * Signal types are plugins: each one names a kind of hash (md5, sha1, sha256, pdq, later vpdq, face, scene), says
 * which content it applies to, computes it, converts it to and from text, measures the distance between two values
 * and says which distance still counts as a match. Each type also brings its own index (exact lookup for
 * cryptographic hashes, multi-index hashing for PDQ): the `createIndex` hook is typed here and filled by the index
 * module.
 */

/** Kinds of media a signal applies to. `file` means any bytes at all (the cryptographic hashes). */
export type ContentType = 'file' | 'image' | 'video';

/** What a signal type may hash: the file's bytes, its sniffed type, and the decoded first frame for images. */
export interface SignalInput {
  readonly bytes: Uint8Array;
  readonly mime?: string;
  readonly image?: RawImage;
}

/** Creates an empty index for a signal type's values. `I` is the index type the index module defines. */
export type SignalIndexFactory<I> = (options?: { shared?: boolean }) => I;

export interface SignalType<H = unknown, I = unknown> {
  /** Lower-case identifier, unique in a registry: stored in the database and exchanged in hash lists. */
  readonly name: string;
  readonly contentTypes: readonly ContentType[];
  /** Exact signals match only on equality (threshold 0); perceptual ones within a distance. */
  readonly kind: 'exact' | 'perceptual';
  /** Largest distance that counts as a match by default (configurable per search). */
  readonly defaultThreshold: number;
  /** Largest possible distance (256 for a 256-bit code; 1 for exact signals, where different means 1). */
  readonly maxDistance: number;
  /** Computes the signal, or null when the input has nothing to hash (PDQ of a file that is not an image). */
  hash(input: SignalInput): H | null;
  /** Parses the text form; throws InvalidError naming the problem. */
  parse(text: string): H;
  /** The canonical text form (lowercase hex for every built-in type). */
  format(value: H): string;
  distance(a: H, b: H): number;
  /** Creates an index for this type's values. Left undefined until the index module provides one. */
  createIndex?: SignalIndexFactory<I>;
}

/** A registry of signal types; refuses a second type with a name already taken. */
export class SignalRegistry {
  private readonly types = new Map<string, SignalType>();

  constructor(types: Iterable<SignalType> = []) {
    for (const type of types) this.register(type);
  }

  /** Adds a signal type. Throws ConflictError when the name is taken, InvalidError when it is malformed. */
  register(type: SignalType): this {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(type.name)) {
      throw new InvalidError(`signal type name ${JSON.stringify(type.name)} must be 1-32 lower-case letters, digits, - or _, starting with a letter`);
    }
    if (this.types.has(type.name)) throw new ConflictError(`signal type "${type.name}" is already registered; each signal type name must be unique`, { name: type.name });
    this.types.set(type.name, type);
    return this;
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  /** The signal type named `name`; throws NotFoundError listing the known names otherwise. */
  get<H = unknown, I = unknown>(name: string): SignalType<H, I> {
    const type = this.types.get(name);
    if (!type) throw new NotFoundError(`unknown signal type "${name}" (known: ${[...this.types.keys()].join(', ') || 'none'})`);
    return type as SignalType<H, I>;
  }

  /** Every registered type, in registration order. */
  list(): SignalType[] {
    return [...this.types.values()];
  }

  /** The types that apply to a kind of content (`file` types apply to everything). */
  forContent(content: ContentType): SignalType[] {
    return this.list().filter((type) => type.contentTypes.includes(content) || type.contentTypes.includes('file'));
  }
}
