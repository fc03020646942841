import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Makes SQLite's write-ahead log durable off the event loop's thread, shared between the commits waiting for it.
 *
 * SQLite in WAL mode with synchronous=NORMAL writes a transaction's frames to the log at COMMIT without fsync (the
 * log is synced before each checkpoint, the database file after it); a crash of the machine can then lose the latest
 * commits, never consistency (frames carry cumulative checksums). Calling `durable()` after a commit and waiting for
 * it restores the guarantee of synchronous=FULL — a committed transaction survives a power cut — while the fsync
 * runs on libuv's thread pool, and one fsync covers every commit written before it started (group commit).
 */
export class WalSync {
  private handle: Promise<FileHandle> | undefined;
  private inFlight: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private syncs = 0;
  private waits = 0;

  constructor(private readonly databasePath: string) {}

  /** Resolves once everything committed before the call is on stable storage. */
  durable(): Promise<void> {
    this.waits++;
    if (!this.inFlight) return this.start();
    // The fsync under way may have started before this commit wrote its frames: wait for the one after it, which
    // every commit arriving meanwhile shares.
    this.next ??= this.inFlight.then(
      () => {
        this.next = undefined;
        return this.start();
      },
      () => {
        this.next = undefined;
        return this.start();
      },
    );
    return this.next;
  }

  /** fsyncs done, and commits that waited for them. */
  get stats(): { readonly syncs: number; readonly waits: number } {
    return { syncs: this.syncs, waits: this.waits };
  }

  async close(): Promise<void> {
    while (this.inFlight || this.next) await (this.next ?? this.inFlight)!.catch(() => undefined);
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }

  private start(): Promise<void> {
    const run = (async () => {
      this.syncs++;
      await (await this.log()).sync();
    })();
    const settled: Promise<void> = run.finally(() => {
      if (this.inFlight === settled) this.inFlight = undefined;
    });
    settled.catch(() => undefined);
    this.inFlight = settled;
    return run;
  }

  /** The log file, opened once; the first time, its directory entry is made durable too. */
  private log(): Promise<FileHandle> {
    this.handle ??= (async () => {
      const handle = await open(`${this.databasePath}-wal`, 'r');
      const dir = await open(dirname(this.databasePath), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return handle;
    })();
    this.handle.catch(() => {
      this.handle = undefined;
    });
    return this.handle;
  }
}
