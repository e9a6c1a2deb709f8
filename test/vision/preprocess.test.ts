import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeImage, type RgbPixels } from '../../server/vision/decode.js';
import { ImageError } from '../../server/vision/errors.js';
import { preprocessImage, resizeTarget, toChwTensor } from '../../server/vision/preprocess.js';
import { FIXTURE_PNG, LIMITS, noiseJpeg } from './images.js';

function rgb(width: number, height: number, values: number[]): RgbPixels {
  assert.equal(values.length, width * height * 3);
  return { data: Uint8Array.from(values), width, height, channels: 3 };
}

function assertClose(actual: ArrayLike<number>, expected: number[], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('rescale and normalise match hand-computed values, channel-major', () => {
  // Two pixels (10,20,30) and (40,50,60); out = (p/255 - mean) / std, e.g. (10/255 - 0.5) / 0.2 = -2.303922.
  const tensor = toChwTensor(rgb(2, 1, [10, 20, 30, 40, 50, 60]), {
    image_mean: [0.5, 0.4, 0.3],
    image_std: [0.2, 0.25, 0.5],
  });
  assert.deepEqual(tensor.dims, [3, 1, 2]);
  assertClose(tensor.data, [-2.303922, -1.715686, -1.286275, -0.815686, -0.364706, -0.129412]);
});

test('rescale only, and normalise without rescale', () => {
  const pixels = rgb(1, 1, [0, 51, 255]);
  assertClose(toChwTensor(pixels, { do_normalize: false }).data, [0, 0.2, 1]);
  assertClose(toChwTensor(pixels, { do_rescale: false, image_mean: 127.5, image_std: 127.5 }).data, [-1, -0.6, 1]);
  assertClose(toChwTensor(pixels, { rescale_factor: 0.5, do_normalize: false }).data, [0, 25.5, 127.5]);
  assert.throws(() => toChwTensor(pixels, { image_mean: [0.5, 0.5], image_std: 0.5 }), /image_mean/);
  assert.throws(() => toChwTensor(pixels, { image_mean: 0.5, image_std: 0 }), /image_std/);
});

test('nearest resize of a 2x2 image to 4x4 replicates each pixel', async () => {
  const pixels = rgb(2, 2, [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  const tensor = await preprocessImage(pixels, { size: { height: 4, width: 4 }, resample: 0, do_normalize: false });
  assert.deepEqual(tensor.dims, [3, 4, 4]);
  const red = Array.from(tensor.data.subarray(0, 16));
  assert.deepEqual(red, [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const blue = Array.from(tensor.data.subarray(32, 48));
  assert.deepEqual(blue, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
});

test('an encoded image is decoded, resized and normalised (SigLIP-style config)', async () => {
  const image = await decodeImage(FIXTURE_PNG, LIMITS);
  const tensor = await preprocessImage(image, {
    do_resize: true,
    size: { height: 12, width: 16 },
    resample: 2,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
  });
  assert.deepEqual(tensor.dims, [3, 12, 16]);
  const value = (c: number, y: number, x: number) => tensor.data[c * 12 * 16 + y * 16 + x]!;
  // Quadrant interiors keep their colour: red, green, blue, white map to +-1.
  assertClose([value(0, 2, 2), value(1, 2, 2), value(2, 2, 2)], [1, -1, -1], 1e-6);
  assertClose([value(0, 2, 13), value(1, 2, 13), value(2, 2, 13)], [-1, 1, -1], 1e-6);
  assertClose([value(0, 9, 2), value(1, 9, 2), value(2, 9, 2)], [-1, -1, 1], 1e-6);
  assertClose([value(0, 9, 13), value(1, 9, 13), value(2, 9, 13)], [1, 1, 1], 1e-6);
  // Without a resize the tensor has the image's own size.
  assert.deepEqual((await preprocessImage(image, { do_normalize: false })).dims, [3, 24, 32]);
});

test('resize targets follow HF rounding for each size spec', () => {
  assert.deepEqual(resizeTarget(640, 480, { height: 384, width: 384 }), { width: 384, height: 384 });
  assert.deepEqual(resizeTarget(640, 480, { shortest_edge: 224 }), { width: 298, height: 224 }); // int(224*640/480)
  assert.deepEqual(resizeTarget(480, 640, { shortest_edge: 224 }), { width: 224, height: 298 });
  assert.deepEqual(resizeTarget(1000, 100, { shortest_edge: 200, longest_edge: 1000 }), { width: 1000, height: 100 });
  assert.deepEqual(resizeTarget(640, 480, { longest_edge: 512 }), { width: 512, height: 384 });
  assert.deepEqual(resizeTarget(3, 1000, { longest_edge: 10 }), { width: 1, height: 10 }); // never 0
  assert.deepEqual(resizeTarget(101, 200, { longest_edge: 100 }), { width: 51, height: 100 }); // 50.5 rounds up
});

test('centre crop takes the middle; a crop larger than the image pads with zeros before normalising', () => {
  const values: number[] = [];
  for (let i = 0; i < 16; i++) values.push(i * 10, 0, 0);
  const pixels = rgb(4, 4, values); // red = 10 * (y * 4 + x)
  const cropped = toChwTensor(pixels, { do_rescale: false, do_center_crop: true, crop_size: 2 });
  assert.deepEqual(cropped.dims, [3, 2, 2]);
  assert.deepEqual(Array.from(cropped.data.subarray(0, 4)), [50, 60, 90, 100]);

  const padded = toChwTensor(rgb(1, 1, [255, 255, 255]), { do_center_crop: true, crop_size: { height: 3, width: 2 }, image_mean: 0.5, image_std: 0.5 });
  assert.deepEqual(padded.dims, [3, 3, 2]);
  // HF: top = (1 - 3) // 2 = -1, left = (1 - 2) // 2 = -1, so the pixel lands at row 1, column 1.
  assert.deepEqual(Array.from(padded.data.subarray(0, 6)), [-1, -1, -1, 1, -1, -1]);
});

test('corrupt pixel data found while preprocessing is an ImageError', async () => {
  const jpeg = await noiseJpeg(64, 48);
  const image = await decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.5)), { ...LIMITS, verify: 'header' });
  await assert.rejects(preprocessImage(image, { size: { height: 8, width: 8 } }), (error: unknown) => error instanceof ImageError && error.code === 'invalid_image');
  await assert.rejects(preprocessImage(image, {}), (error: unknown) => error instanceof ImageError && error.code === 'invalid_image');
});
