import { createMd5Signal, createSha1Signal, createSha256Signal } from './crypto/crypto-signals.js';
import { createPdqSignal } from './pdq/pdq-signal.js';
import { SignalRegistry, type SignalType } from './signal-type.js';
import { createVpdqSignal } from '../video/vpdq-signal.js';

/** The built-in signal types, in the order results list them: md5, sha1, sha256, pdq, vpdq. */
export function builtinSignalTypes(): SignalType[] {
  return [createMd5Signal(), createSha1Signal(), createSha256Signal(), createPdqSignal() as SignalType, createVpdqSignal() as SignalType];
}

/** A registry holding the built-in types (plus any extra ones; a duplicate name fails). */
export function createSignalRegistry(extra: Iterable<SignalType> = []): SignalRegistry {
  return new SignalRegistry([...builtinSignalTypes(), ...extra]);
}
