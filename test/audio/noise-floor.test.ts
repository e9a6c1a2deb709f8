import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followNoiseFloor } from '../../server/audio/echo/noise-floor.js';

const db = (x: number) => 10 * Math.log10(x);

test('noise floor: falls at once to a quieter frame, rises about 2 dB a second towards a louder microphone', () => {
  let floor = Number.POSITIVE_INFINITY;
  floor = followNoiseFloor(floor, 1000);
  assert.equal(floor, 1000);
  for (let i = 0; i < 100; i++) floor = followNoiseFloor(floor, 1e6); // a second of speech 30 dB over it
  assert.ok(db(floor / 1000) > 1.9 && db(floor / 1000) < 2.3, `${db(floor / 1000).toFixed(2)} dB after a second`);
  assert.equal(followNoiseFloor(floor, 500), 500);
});

test('noise floor: a frame of digital silence (a muted client) does not hold it at 0: it climbs back to the room noise', () => {
  let floor = followNoiseFloor(Number.POSITIVE_INFINITY, 0);
  assert.equal(floor, 0);
  const roomNoise = 316; // -65 dBFS as int16 mean square
  let frames = 0;
  while (floor < roomNoise && frames < 10000) {
    floor = followNoiseFloor(floor, roomNoise);
    frames++;
  }
  assert.equal(floor, roomNoise, 'the floor reached the room noise');
  assert.ok(frames < 1300, `${frames} frames from silence to -65 dBFS`);
});
