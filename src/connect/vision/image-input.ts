import sharp, { type Sharp } from 'sharp';
import { InvalidError } from '../../core/errors.js';
import { ImageDecoder } from '../../media/decode.js';
import { SCENE_SIDE } from './scene-descriptor.js';

/**
 * Pixels for the vision models from an image file's bytes, upright (EXIF orientation applied, as a viewer shows
 * the picture: a face on its side is not found). sharp reads JPEG, PNG, WebP, GIF, TIFF and AVIF itself; BMP and
 * HEIC go through the media decoder first. Every rendition remembers its scale to the upright original, so boxes
 * and points are reported in the original's pixels.
 */
export interface Upright {
  readonly width: number;
  readonly height: number;
  readonly open: () => Sharp;
}

export const FACE_MAX_SIDE = 640;
export const ORB_MAX_SIDE = 800;
export const ORB_MIN_SIDE = 480;

export class ImageInput {
  private readonly decoder = new ImageDecoder();

  async open(bytes: Uint8Array): Promise<Upright> {
    try {
      const meta = await sharp(bytes, { failOn: 'error', pages: 1 }).rotate().metadata();
      if (meta.width && meta.height) {
        const swap = (meta.orientation ?? 1) >= 5;
        return { width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, open: () => sharp(bytes, { failOn: 'error', pages: 1 }).rotate() };
      }
    } catch {
      // Not a format sharp reads: the media decoder below knows BMP and HEIC.
    }
    const image = await this.decoder.decode(bytes);
    const raw = { width: image.width, height: image.height, channels: image.channels };
    return { width: image.width, height: image.height, open: () => sharp(image.data, { raw }) };
  }

  /** RGB at most FACE_MAX_SIDE on its longer side; `scale` multiplies its coordinates into the original's. */
  async rgb(u: Upright): Promise<{ data: Uint8Array; width: number; height: number; scale: number }> {
    const { data, info } = await u.open().resize(FACE_MAX_SIDE, FACE_MAX_SIDE, { fit: 'inside', withoutEnlargement: true }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new InvalidError(`expected RGB pixels, got ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, scale: u.width / info.width };
  }

  /**
   * Luminance at most `side` on its longer side; small images are enlarged to ORB_MIN_SIDE, because ORB finds few
   * features in a picture of a couple of hundred pixels (its patches are 31 pixels wide, over an 8-level pyramid).
   */
  async grey(u: Upright, side = ORB_MAX_SIDE): Promise<{ data: Uint8Array; width: number; height: number; scale: number }> {
    const target = Math.max(u.width, u.height) < ORB_MIN_SIDE ? ORB_MIN_SIDE : side;
    const { data, info } = await u.open().resize(target, target, { fit: 'inside', withoutEnlargement: target === side }).greyscale().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, scale: u.width / info.width };
  }

  /** Luminance squeezed to SCENE_SIDE x SCENE_SIDE (the scene descriptor's input). */
  async sceneSquare(u: Upright): Promise<Uint8Array> {
    const { data } = await u.open().resize(SCENE_SIDE, SCENE_SIDE, { fit: 'fill' }).greyscale().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
}
