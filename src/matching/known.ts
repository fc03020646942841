import type { MatchHit } from './match-service.js';

/**
 * When a hit makes an item *known* (DESIGN.md: it matches material already identified, so nobody needs to start
 * over): an entry of an enabled hash set (lists carry material other units have assessed). Hits on other stored
 * items that nobody has categorised or placed in a series yet do not make an item known; they are reported as
 * "seen before". The one place this rule lives.
 */
export function isKnownHit(hit: Pick<MatchHit, 'source'>): boolean {
  return hit.source === 'set';
}
