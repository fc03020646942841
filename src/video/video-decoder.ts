import { AriadneError } from '../core/errors.js';
import { resolveFfmpeg, type FfmpegBinary } from '../media/ffmpeg-binary.js';

interface StartLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Resolves ffmpeg once at start and says which one is in use. Without one, videos are still stored and sighted (no
 * frame hashes): the warning says so, and CI installs Debian's ffmpeg.
 */
export function resolveVideoDecoder(path: string | undefined, logger: StartLogger): FfmpegBinary | null {
  try {
    const ffmpeg = resolveFfmpeg({ path });
    logger.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, `video decoding with ${ffmpeg.source === 'system' ? 'the system ffmpeg' : ffmpeg.source === 'configured' ? 'the configured ffmpeg' : 'the @ffmpeg-installer/ffmpeg build'}`);
    return ffmpeg;
  } catch (error) {
    if (!(error instanceof AriadneError)) throw error;
    logger.warn({ reason: error.message }, 'no ffmpeg: videos are stored without frame hashes');
    return null;
  }
}
