import type { MatchHit } from './match-service.js';

/**
 * When a hit makes an item *known* (DESIGN.md: it matches material already identified, so nobody needs to start
 * over): an entry of an enabled hash set (lists carry material other units have assessed), or a stored item that
 * investigators have placed in a series or whose category they have settled (any VICS category other than 0,
 * "uncategorised"). Hits on other stored items that nobody has assessed yet do not make an item known; they are
 * reported as "seen before". The one place this rule lives.
 */
export function isKnownHit(hit: Pick<MatchHit, 'source' | 'item'>): boolean {
  if (hit.source === 'set') return true;
  const item = hit.item;
  return item !== null && (item.series.length > 0 || (item.category !== null && item.category !== 0));
}
