import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage, readPixels } from '../../server/vision/decode.js';
import { ImageError, type ImageErrorCode } from '../../server/vision/errors.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { FIXTURE_JPEG, FIXTURE_PNG, LIMITS, jpegClaiming, noiseJpeg, pngClaiming } from './images.js';

async function rejects(promise: Promise<unknown>, code: ImageErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ImageError, `expected ImageError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

test('valid JPEG and PNG decode to their size, keeping the original bytes', async () => {
  const jpeg = await decodeImage(new Uint8Array(FIXTURE_JPEG), { ...LIMITS, capturedAtMs: 1500 });
  assert.equal(jpeg.mimeType, 'image/jpeg');
  assert.equal(jpeg.width, 32);
  assert.equal(jpeg.height, 24);
  assert.equal(jpeg.capturedAtMs, 1500);
  assert.deepEqual(Buffer.from(jpeg.bytes), FIXTURE_JPEG);

  const png = await decodeImage(`data:image/png;base64,${FIXTURE_PNG.toString('base64')}`, LIMITS);
  assert.equal(png.mimeType, 'image/png');
  assert.deepEqual([png.width, png.height], [32, 24]);
  assert.deepEqual(Buffer.from(png.bytes), FIXTURE_PNG);
  assert.equal(png.capturedAtMs, undefined);
});

test('plain base64, line-wrapped base64 and MIME aliases are accepted', async () => {
  const b64 = FIXTURE_JPEG.toString('base64');
  const plain = await decodeImage(b64, { ...LIMITS, mimeType: 'image/jpg' });
  assert.equal(plain.mimeType, 'image/jpeg');
  const wrapped = b64.replace(/(.{76})/g, '$1\r\n');
  const fromWrapped = await decodeImage(`data:image/jpeg;base64,${wrapped}`, LIMITS);
  assert.deepEqual(Buffer.from(fromWrapped.bytes), FIXTURE_JPEG);
});

test('pixels come out as RGB with the right values (PNG is lossless)', async () => {
  const image = await decodeImage(FIXTURE_PNG, LIMITS);
  const pixels = await readPixels(image);
  assert.deepEqual([pixels.width, pixels.height, pixels.channels, pixels.data.length], [32, 24, 3, 32 * 24 * 3]);
  const at = (x: number, y: number) => Array.from(pixels.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
  assert.deepEqual(at(0, 0), [255, 0, 0]);
  assert.deepEqual(at(31, 0), [0, 255, 0]);
  assert.deepEqual(at(0, 23), [0, 0, 255]);
  assert.deepEqual(at(31, 23), [255, 255, 255]);
});

test('grey and RGBA PNGs give 3 channels; EXIF orientation is applied to size and pixels', async () => {
  const grey = await sharp(Buffer.from([0, 85, 170, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
  const greyPixels = await readPixels(await decodeImage(grey, LIMITS));
  assert.deepEqual(Array.from(greyPixels.data), [0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]);

  const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
  assert.deepEqual(Array.from((await readPixels(await decodeImage(rgba, LIMITS))).data), [10, 20, 30, 40, 50, 60]);

  const rotated = await sharp(FIXTURE_JPEG).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const image = await decodeImage(rotated, LIMITS);
  assert.deepEqual([image.width, image.height], [24, 32]);
  const pixels = await readPixels(image);
  assert.deepEqual([pixels.width, pixels.height], [24, 32]);
});

test('truncated JPEG and PNG are rejected as invalid_image', async () => {
  const jpeg = await noiseJpeg(64, 48);
  await rejects(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), LIMITS), 'invalid_image', /corrupt JPEG/);
  await rejects(decodeImage(FIXTURE_PNG.subarray(0, FIXTURE_PNG.length - 20), LIMITS), 'invalid_image', /corrupt PNG/);
  // Cut inside the header: caught by the header reader.
  await rejects(decodeImage(FIXTURE_JPEG.subarray(0, 12), LIMITS), 'invalid_image', /JPEG/);
  await rejects(decodeImage(FIXTURE_PNG.subarray(0, 20), LIMITS), 'invalid_image', /IHDR/);
});

test("verify 'header' defers corrupt pixel data to readPixels, which rejects it the same way", async () => {
  const jpeg = await noiseJpeg(64, 48);
  const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
  const image = await decodeImage(truncated, { ...LIMITS, verify: 'header' });
  assert.deepEqual([image.width, image.height], [64, 48]);
  await rejects(readPixels(image), 'invalid_image', /corrupt JPEG/);
});

test('a header claiming a huge size is refused before decoding (PNG 100000x100000, JPEG 60000x60000)', async () => {
  await rejects(decodeImage(pngClaiming(100_000, 100_000), LIMITS), 'image_too_large', /100000x100000/);
  await rejects(decodeImage(jpegClaiming(FIXTURE_JPEG, 60_000, 60_000), LIMITS), 'image_too_large', /60000x60000/);
  // The limit is exact: 32x24 passes at 768 pixels and fails at 767.
  await decodeImage(FIXTURE_PNG, { ...LIMITS, maxImagePixels: 768 });
  await rejects(decodeImage(FIXTURE_PNG, { ...LIMITS, maxImagePixels: 767 }), 'image_too_large');
});

test('wrong magic bytes and other formats are unsupported_image_format', async () => {
  await rejects(decodeImage(Buffer.from('hello, this is not an image at all'), LIMITS), 'unsupported_image_format', /JPEG or PNG/);
  const gif = await sharp(FIXTURE_PNG).gif().toBuffer();
  await rejects(decodeImage(gif, LIMITS), 'unsupported_image_format', /GIF/);
  const webp = await sharp(FIXTURE_PNG).webp().toBuffer();
  await rejects(decodeImage(`data:image/webp;base64,${webp.toString('base64')}`, LIMITS), 'unsupported_image_format', /webp/);
  await rejects(decodeImage(FIXTURE_PNG, { ...LIMITS, mimeType: 'image/gif' }), 'unsupported_image_format');
});

test('a declared type that disagrees with the bytes is invalid_image', async () => {
  await rejects(decodeImage(`data:image/jpeg;base64,${FIXTURE_PNG.toString('base64')}`, LIMITS), 'invalid_image', /declared as image\/jpeg/);
  await rejects(decodeImage(FIXTURE_JPEG, { ...LIMITS, mimeType: 'image/png' }), 'invalid_image', /declared as image\/png/);
});

test('bad base64 and malformed data URLs are invalid_image', async () => {
  await rejects(decodeImage('abc$def=', LIMITS), 'invalid_image', /base64/);
  await rejects(decodeImage('abcde', LIMITS), 'invalid_image', /length or padding/);
  await rejects(decodeImage('ab=c', LIMITS), 'invalid_image', /base64/);
  await rejects(decodeImage('', LIMITS), 'invalid_image', /empty/);
  await rejects(decodeImage(new Uint8Array(0), LIMITS), 'invalid_image', /empty/);
  await rejects(decodeImage('data:image/png;base64', LIMITS), 'invalid_image', /comma/);
  await rejects(decodeImage(`data:image/png,${FIXTURE_PNG.toString('latin1')}`, LIMITS), 'invalid_image', /base64-encoded/);
});

test('oversize input is image_too_large, measured from the base64 length before decoding', async () => {
  await rejects(decodeImage(Buffer.alloc(LIMITS.maxImageBytes + 1, 0xff), LIMITS), 'image_too_large', /bytes/);
  // 'A' * n is valid base64 for zero bytes: were it decoded first it would fail as an unknown format.
  const huge = 'A'.repeat(4 * 1024 * 1024);
  await rejects(decodeImage(huge, LIMITS), 'image_too_large', new RegExp(`${(huge.length / 4) * 3} bytes`));
  // Exactly at the limit is fine as far as size goes (then fails on content).
  const atLimit = Buffer.alloc(LIMITS.maxImageBytes, 0).toString('base64');
  await rejects(decodeImage(atLimit, LIMITS), 'unsupported_image_format');
});

test('every image error code is a row of the one error table', () => {
  const codes: ImageErrorCode[] = ['image_too_large', 'invalid_image', 'unsupported_image_format'];
  for (const code of codes) {
    assert.ok(ERROR_CODES[code].meaning.length > 20, code);
    assert.equal(ERROR_CODES[code].type, 'invalid_request_error');
  }
});
