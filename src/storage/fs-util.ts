import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Small filesystem helpers shared by the storage adapters and the master key file. */

/** fsyncs a directory so a rename or link inside it survives a crash (a no-op where directories cannot be opened). */
export async function syncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
