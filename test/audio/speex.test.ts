import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeexEchoCanceller, speexAvailability } from '../../server/audio/echo/speex.js';

// The SpeexDSP binding itself (the canceller around it: echo-canceller.test.ts): its own reset,
// which the library reports only on stderr, is seen.

const noSpeex = speexAvailability().available ? false : 'libspeexdsp1 is not installed';
const FRAME = 160;

test('SpeexDSP resetting its filter on its own (output louder than input, frame after frame) is counted', { skip: noSpeex }, () => {
  const aec = new SpeexEchoCanceller({ frameSize: FRAME, filterLength: 1600, sampleRate: 16000, echoSuppressDb: -40, echoSuppressActiveDb: -15, noiseSuppressDb: -6 });
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 16000;
  const play = new Int16Array(FRAME);
  const mic = new Int16Array(FRAME);
  const out = new Int16Array(FRAME);
  const history: number[] = new Array(80).fill(0);
  // A room: the echo is the far end 80 samples late at half its level. Learnt for 3 s.
  for (let f = 0; f < 300; f++) {
    for (let i = 0; i < FRAME; i++) {
      play[i] = noise();
      history.push(play[i]!);
      mic[i] = Math.round(history.shift()! * 0.5);
    }
    aec.cancel(mic, play, out);
  }
  assert.equal(aec.resets, 0, 'a converged filter is not reset');
  // The echo stops (the microphone hears nothing) while the far end plays on: the filter's
  // prediction is all the output, louder than the silent input, until SpeexDSP gives up on it.
  for (let f = 0; f < 80; f++) {
    for (let i = 0; i < FRAME; i++) play[i] = noise();
    mic.fill(0);
    aec.cancel(mic, play, out);
  }
  assert.equal(aec.resets, 1);
  aec.close();
});
