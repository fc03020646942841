import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { UnavailableError } from '../core/errors.js';

/** Which ffmpeg decodes video: the system's (Debian `ffmpeg`) or the static build shipped in `@ffmpeg-installer/ffmpeg`. */
export interface FfmpegBinary {
  readonly path: string;
  readonly source: 'system' | 'ffmpeg-installer' | 'configured';
  /** The first line of `ffmpeg -version`. */
  readonly version: string;
  /** Whether the build knows `-fps_mode` (ffmpeg 5.1+); older builds use `-vsync`. */
  readonly fpsMode: boolean;
}

export interface FfmpegResolveOptions {
  /** Use exactly this binary (ARIADNE_FFMPEG); no fallback. */
  readonly path?: string;
  /** Where the system binary is looked for (default /usr/bin/ffmpeg, then /usr/local/bin/ffmpeg). */
  readonly systemPaths?: readonly string[];
  /** Skip the system binary (tests of the fallback). */
  readonly preferInstaller?: boolean;
}

const SYSTEM_PATHS = ['/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg'];

/**
 * Resolves the ffmpeg binary once, at start: a configured path, else the system's ffmpeg, else the static binary of
 * `@ffmpeg-installer/ffmpeg` (a 2018 build without ffprobe, which is why stream facts come from `ffmpeg -i`, see
 * ffmpeg-probe.ts). Throws UnavailableError when none runs. The caller logs which one is in use.
 */
export function resolveFfmpeg(options: FfmpegResolveOptions = {}): FfmpegBinary {
  const candidates: Array<{ path: string; source: FfmpegBinary['source'] }> = [];
  if (options.path) candidates.push({ path: options.path, source: 'configured' });
  else {
    if (!options.preferInstaller) for (const p of options.systemPaths ?? SYSTEM_PATHS) candidates.push({ path: p, source: 'system' });
    const installer = installerPath();
    if (installer) candidates.push({ path: installer, source: 'ffmpeg-installer' });
  }
  const failures: string[] = [];
  for (const c of candidates) {
    if (!existsSync(c.path)) {
      failures.push(`${c.path}: not found`);
      continue;
    }
    try {
      const out = execFileSync(c.path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
      const version = out.split('\n')[0].trim();
      const major = /ffmpeg version n?(\d+)\.(\d+)/.exec(version);
      const fpsMode = major ? Number(major[1]) > 5 || (Number(major[1]) === 5 && Number(major[2]) >= 1) : false;
      return { path: c.path, source: c.source, version, fpsMode };
    } catch (error) {
      failures.push(`${c.path}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new UnavailableError(`no usable ffmpeg for video (${failures.join('; ') || 'no candidate'}); install Debian's ffmpeg or set ARIADNE_FFMPEG`);
}

function installerPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@ffmpeg-installer/ffmpeg') as { path?: string };
    return typeof mod.path === 'string' ? mod.path : undefined;
  } catch {
    return undefined;
  }
}
