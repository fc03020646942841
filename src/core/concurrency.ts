/**
 * Runs `fn` over `items` with at most `limit` calls in flight, and returns the results in input order. The first
 * failure rejects (calls already started finish first).
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Runs `fn` for each item of an (async) iterable with at most `limit` calls in flight, reading the source only as
 * fast as calls finish. The first failure stops reading and rejects once the calls in flight have settled.
 */
export async function forEachConcurrent<T>(items: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of items) {
    if (failure) break;
    const call: Promise<void> = fn(item).then(
      () => void inFlight.delete(call),
      (error: unknown) => {
        inFlight.delete(call);
        failure ??= { error };
      },
    );
    inFlight.add(call);
    if (inFlight.size >= Math.max(1, limit)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
}
