import type { ImageInput } from '../../models/types.js';
import { ProtocolError } from '../../protocol/errors.js';
import type { Config } from '../config/schema.js';
import { decodeImage } from '../vision/decode.js';
import { isImageError } from '../vision/errors.js';
import { FrameBuffer } from '../vision/frame-buffer.js';

/** Images of one session: decoded item images and the camera frame buffer. */
export class ImageInputs {
  private readonly frames: FrameBuffer;
  /** `duet.input_image.append {binary:true}` announced that the next binary frame is an image. */
  private binaryMimeType: string | null | undefined = undefined;

  constructor(private readonly vision: Config['vision']) {
    this.frames = new FrameBuffer({ ...vision });
  }

  get expectingBinary(): boolean {
    return this.binaryMimeType !== undefined;
  }

  expectBinary(mimeType: string | undefined): void {
    this.binaryMimeType = mimeType ?? null;
  }

  /** Decodes an image (data URL, base64 or bytes); image errors become protocol errors. */
  async decode(source: string | Uint8Array, param: string, mimeType?: string): Promise<ImageInput> {
    try {
      return await decodeImage(source, {
        maxImageBytes: this.vision.maxImageBytes,
        maxImagePixels: this.vision.maxImagePixels,
        ...(mimeType ? { mimeType } : {}),
      });
    } catch (err) {
      if (isImageError(err)) throw new ProtocolError(err.code, err.message, param);
      throw err;
    }
  }

  /** A camera frame (base64/data URL from JSON, or the announced binary frame). */
  async appendFrame(source: string | Uint8Array, mimeType?: string): Promise<void> {
    const declared = typeof source === 'string' ? mimeType : (this.binaryMimeType ?? mimeType ?? undefined);
    if (typeof source !== 'string') this.binaryMimeType = undefined;
    const now = performance.now();
    const image = await this.decode(source, 'image', declared);
    this.frames.push({ ...image, capturedAtMs: now }, now);
  }

  /** Speech began (wall clock ms): frames from here on belong to the utterance. */
  beginUtterance(atMs: number): void {
    this.frames.beginUtterance(atMs);
  }

  /** Releases the camera frames (up to vision.maxFrames decoded images) and any announced binary frame. */
  close(): void {
    this.frames.clear();
    this.binaryMimeType = undefined;
  }

  /** Evenly spaced frames of the utterance that just ended (VITA: 4 by default). */
  framesForUtterance(startMs: number, endMs: number): ImageInput[] {
    if (this.vision.framesPerQuery === 0) return [];
    return this.frames.selectForUtterance(startMs, endMs);
  }
}
