/**
 * Progress for long commands: a redrawn bar with rate and ETA on a terminal, plain lines (every few seconds)
 * otherwise, so logs stay readable. Written to stderr; stdout stays for results.
 */
export class Progress {
  private readonly started = Date.now();
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  update(done: number, total: number, extra = ''): void {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = done / seconds;
    const eta = rate > 0 && total > done ? (total - done) / rate : 0;
    const text = `${this.label} ${done}/${total} ${rate.toFixed(1)} files/s ETA ${clock(eta)}${extra ? ` ${extra}` : ''}`;
    if (this.stream.isTTY) {
      const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - text.length - 4));
      const filled = total > 0 ? Math.round((done / total) * width) : 0;
      this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\u001b[K`);
      this.drawn = true;
    } else if (now - this.lastPlain >= this.plainEveryMs || (total > 0 && done >= total)) {
      this.lastPlain = now;
      this.stream.write(`${text}\n`);
    }
  }

  finish(message: string): void {
    if (this.drawn) this.stream.write('\r\u001b[K');
    this.stream.write(`${message}\n`);
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}
