import { csrfHeaders } from '../api';

/**
 * A tus 1.0.0 client for Ariadne's /api/uploads (creation, termination): one file into one submission, in chunks,
 * with progress, pause/resume, retries with back-off and resumption across page reloads (the upload's URL is kept
 * in localStorage under the file's identity, and HEAD tells how much the server already holds).
 */
export const CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_RETRIES = 6;

export type UploadState = 'queued' | 'uploading' | 'paused' | 'done' | 'error';

export interface UploadProgress {
  readonly state: UploadState;
  readonly sent: number;
  readonly total: number;
  readonly error: string | null;
  readonly resumedFrom: number;
}

function b64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

export class TusUpload {
  private xhr: XMLHttpRequest | null = null;
  private paused = false;
  private progress: UploadProgress;

  constructor(
    readonly file: File,
    readonly path: string,
    readonly submissionId: number,
    private readonly onChange: (p: UploadProgress) => void,
  ) {
    this.progress = { state: 'queued', sent: 0, total: file.size, error: null, resumedFrom: 0 };
  }

  get key(): string {
    return `ariadne.tus.${this.submissionId}.${this.file.size}.${this.file.lastModified}.${this.path}`;
  }

  get state(): UploadState {
    return this.progress.state;
  }

  private set(change: Partial<UploadProgress>): void {
    this.progress = { ...this.progress, ...change };
    this.onChange(this.progress);
  }

  pause(): void {
    this.paused = true;
    this.xhr?.abort();
    if (this.progress.state === 'uploading' || this.progress.state === 'queued') this.set({ state: 'paused' });
  }

  /** Uploads (or resumes) until done, paused, or failed after the retries. */
  async start(): Promise<void> {
    this.paused = false;
    this.set({ state: 'uploading', error: null });
    let attempt = 0;
    for (;;) {
      try {
        let url = localStorage.getItem(this.key);
        let offset = url ? await this.head(url) : null;
        if (url === null || offset === null) {
          url = await this.create();
          localStorage.setItem(this.key, url);
          offset = 0;
        } else if (this.progress.resumedFrom === 0 && offset > 0) {
          this.set({ resumedFrom: offset });
        }
        this.set({ sent: offset });
        while (offset < this.file.size || this.file.size === 0) {
          if (this.paused) return;
          offset = await this.patch(url, offset);
          this.set({ sent: offset });
          attempt = 0;
          if (this.file.size === 0) break;
        }
        localStorage.removeItem(this.key);
        this.set({ state: 'done', sent: this.file.size });
        return;
      } catch (error) {
        if (this.paused) return;
        const status = (error as { status?: number }).status;
        // Refusals that retrying cannot fix: bad input, too large, gone, not allowed.
        if (status === 400 || status === 403 || status === 413 || status === 415 || ++attempt > MAX_RETRIES) {
          this.set({ state: 'error', error: error instanceof Error ? error.message : String(error) });
          return;
        }
        if (status === 404 || status === 410) localStorage.removeItem(this.key);
        await new Promise((r) => setTimeout(r, Math.min(15_000, 500 * 2 ** attempt)));
      }
    }
  }

  private async create(): Promise<string> {
    const metadata = [`submissionId ${b64(String(this.submissionId))}`, `filename ${b64(this.path)}`, `mtime ${b64(String(this.file.lastModified))}`].join(',');
    const res = await fetch('/api/uploads', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': String(this.file.size), 'upload-metadata': metadata, ...csrfHeaders() },
    });
    if (res.status !== 201) throw await failure(res);
    const location = res.headers.get('location');
    if (!location) throw new Error('the server gave no upload location');
    return location;
  }

  /** The server's offset, or null when it no longer knows the upload. */
  private async head(url: string): Promise<number | null> {
    const res = await fetch(url, { method: 'HEAD', credentials: 'same-origin', headers: { 'tus-resumable': '1.0.0' } });
    if (res.status === 404 || res.status === 410) return null;
    if (!res.ok) throw Object.assign(new Error(`HEAD ${res.status}`), { status: res.status });
    return Number(res.headers.get('upload-offset') ?? '0');
  }

  private patch(url: string, offset: number): Promise<number> {
    const chunk = this.file.slice(offset, Math.min(this.file.size, offset + CHUNK_BYTES));
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      this.xhr = xhr;
      xhr.open('PATCH', url);
      xhr.setRequestHeader('tus-resumable', '1.0.0');
      xhr.setRequestHeader('upload-offset', String(offset));
      xhr.setRequestHeader('content-type', 'application/offset+octet-stream');
      for (const [k, v] of Object.entries(csrfHeaders())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => this.set({ sent: offset + e.loaded });
      xhr.onload = () => {
        this.xhr = null;
        if (xhr.status === 204) resolve(Number(xhr.getResponseHeader('upload-offset') ?? offset + chunk.size));
        else reject(Object.assign(new Error(errorMessage(xhr.responseText) ?? `PATCH ${xhr.status}`), { status: xhr.status }));
      };
      xhr.onerror = () => reject(Object.assign(new Error('network error'), { status: 0 }));
      xhr.onabort = () => reject(Object.assign(new Error('paused'), { status: 0 }));
      xhr.send(chunk);
    });
  }
}

function errorMessage(text: string): string | null {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? null;
  } catch {
    return null;
  }
}

async function failure(res: Response): Promise<Error> {
  return Object.assign(new Error(errorMessage(await res.text()) ?? `${res.status} ${res.statusText}`), { status: res.status });
}

/**
 * Every file of a drop, folders walked (paths keep their folders), in the order the browser gives them. Where the
 * browser offers no file-system entries (some platforms, scripted drops) the dropped files are taken as they are.
 */
export async function filesFromDrop(transfer: DataTransfer): Promise<Array<{ file: File; path: string }>> {
  const entries = [...transfer.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return [...transfer.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
  const out: Array<{ file: File; path: string }> = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
      out.push({ file, path: entry.fullPath.replace(/^\/+/, '') });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}
