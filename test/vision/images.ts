// Builders for tiny test images (made with sharp at test time, or byte by byte for bad headers).
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export const FIXTURE_JPEG = readFileSync(new URL('../fixtures/images/quadrants-32x24.jpg', import.meta.url));
export const FIXTURE_PNG = readFileSync(new URL('../fixtures/images/quadrants-32x24.png', import.meta.url));

export const LIMITS = { maxImageBytes: 64 * 1024, maxImagePixels: 4096 * 4096 };

/** Deterministic noisy RGB, so JPEG has plenty of entropy-coded data to cut. */
export function noiseRgb(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  let state = 12345;
  for (let i = 0; i < raw.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    raw[i] = state >>> 24;
  }
  return raw;
}

export async function noiseJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(noiseRgb(width, height), { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData), 8 + data.length);
  return out;
}

/** A well-formed PNG header claiming `width` x `height` (8-bit RGB) with a few bytes of image data. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

/** A copy of a JPEG whose frame header (SOFn) claims `width` x `height`. */
export function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let at = 2; at < out.length; ) {
    const marker = out[at + 1]!;
    const length = out.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      out.writeUInt16BE(height, at + 5);
      out.writeUInt16BE(width, at + 7);
      return out;
    }
    at += 2 + length;
  }
  throw new Error('no SOF in fixture');
}
