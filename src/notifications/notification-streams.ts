import type { Db } from '../db/schema.js';
import type { Notification, NotificationService } from './notification-service.js';

export interface StreamSink {
  /** Sends one notification as an event; returns false when the client is gone. */
  send(notification: Notification): boolean;
  /** A comment line that keeps proxies from closing an idle connection. */
  keepAlive(): boolean;
  /** Ends the response. */
  end(): void;
}

export interface StreamOptions {
  /** How often a stream looks for notifications written by other processes (default 1000 ms). */
  readonly pollMs?: number;
  readonly keepAliveMs?: number;
}

/**
 * Live notification streams (server-sent events). Notifications live in the database, so every stream polls its
 * user's rows above the last id it sent, every `pollMs`: that is what makes a notification written by another API
 * or worker process (e.g. the series-match job) arrive within a second. A write in this process also wakes the
 * stream at once. `closeAll` ends every stream; the HTTP layer calls it before the server closes, so open streams
 * never hold a graceful shutdown.
 */
export class NotificationStreams {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly db: Db,
    private readonly service: NotificationService,
    private readonly options: StreamOptions = {},
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Starts streaming the user's notifications after `afterId`; returns the function that stops it. */
  start(userId: number, afterId: number, sink: StreamSink): () => void {
    let last = afterId;
    let running = false;
    let again = false;
    let stopped = false;
    const pump = async () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const batch = await this.service.since(this.db, userId, last);
          for (const n of batch) {
            if (!sink.send(n)) return stop();
            last = n.id;
          }
          if (batch.length === 100) again = true;
        } while (again && !stopped);
      } catch {
        // A failed poll (database briefly unavailable) is retried on the next tick.
      } finally {
        running = false;
      }
    };
    const poll = setInterval(() => void pump(), this.options.pollMs ?? 1000);
    const alive = setInterval(() => {
      if (!sink.keepAlive()) stop();
    }, this.options.keepAliveMs ?? 15_000);
    poll.unref();
    alive.unref();
    const unsubscribe = this.service.onWake(userId, () => void pump());
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearInterval(poll);
      clearInterval(alive);
      unsubscribe();
      this.open.delete(stop);
      sink.end();
    };
    this.open.add(stop);
    void pump();
    return stop;
  }

  /** Ends every open stream (graceful shutdown). */
  closeAll(): void {
    for (const stop of [...this.open]) stop();
  }
}
