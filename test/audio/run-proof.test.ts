import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunProof } from '../../server/audio/echo/run-proof.js';

// Whether the filter has yet to show it cancels a new answer's run as deeply as its leak says
// (run-proof.ts). Energies in dB here for reading; margins 12 and 6 dB as the canceller's.

const e = (db: number) => 10 ** (db / 10);
const frame = (micDb: number, outDb: number, residualDb = 40, active = true) => [active, e(micDb), e(outDb), e(residualDb)] as const;
// `placedSurely` false below: the search ended short of a sure reading (FineAlign.surely).
const proofOf = () => new RunProof(e(12), e(6));

test('nothing is unproven before a new run; the run is unproven while searched for', () => {
  const proof = proofOf();
  assert.equal(proof.unproven(false, false, ...frame(70, 70)), false, 'no run: the filter as FilterTrust judges it');
  assert.equal(proof.unproven(true, false, ...frame(70, 40)), true, 'searched for: unproven whatever it cancels');
});

test('found, the run stays unproven until 8 loud frames in a row come out within the continue margin of the residual', () => {
  const proof = proofOf();
  proof.unproven(true, false, ...frame(70, 70));
  assert.equal(proof.unproven(false, false, ...frame(70, 54)), true, 'cancelling 16 dB, 14 dB over the residual: no proof');
  assert.equal(proof.unproven(false, false, ...frame(70, 51)), true, 'just under the onset bar (52 dB): no proof');
  for (let k = 0; k < 7; k++) assert.equal(proof.unproven(false, false, ...frame(70, 45)), true, `cancelled to within 6 dB of the residual, ${k + 1} in a row`);
  assert.equal(proof.unproven(false, false, ...frame(50, 40)), true, 'a quiet frame (under the onset bar alone) neither proves nor breaks the row');
  assert.equal(proof.unproven(false, false, ...frame(70, 45, 40, false)), true, 'nor one with no reference to echo');
  assert.equal(proof.unproven(false, false, ...frame(70, 45)), false, 'the 8th in a row: proven');
  assert.equal(proof.unproven(false, false, ...frame(70, 70)), false, 'and stays so (FilterTrust judges from here)');
});

// The socket's second answer (small room, 0 dB) taken as proven on one frame the suppressor had
// crushed: the linear output over the microphone, the suppressed output 2 dB over the residual;
// the next frames 16-22 dB over it.
test('a loud frame over the margin starts the row again', () => {
  const proof = proofOf();
  proof.unproven(true, false, ...frame(70, 70));
  assert.equal(proof.unproven(false, false, ...frame(55, 38, 36)), true, 'one frame within the margin');
  for (let k = 0; k < 5; k++) assert.equal(proof.unproven(false, false, ...frame(55, 54, 36)), true, 'then 18 dB over the residual');
  for (let k = 0; k < 7; k++) assert.equal(proof.unproven(false, false, ...frame(68, 44, 40)), true, `within the margin again, ${k + 1} in a row`);
  assert.equal(proof.unproven(false, false, ...frame(68, 44, 40)), false, 'the 8th: proven');
});

test('unproven for at most a second after the search ends', () => {
  const proof = proofOf();
  proof.unproven(true, false, ...frame(70, 70));
  const states: boolean[] = [];
  for (let f = 0; f < 102; f++) states.push(proof.unproven(false, false, ...frame(70, 70)));
  assert.equal(states.lastIndexOf(true), 99, 'the 100th frame after the search is the last unproven');
  assert.equal(states.at(-1), false);
});

// The search ended on a window its reading explains surely (FineAlign.surely): the filter, held
// while it searched, heard the run there, and the gate vouches for it at once. A user speaking
// from 100-200 ms into a second answer was heard a second late (the proof's whole second): the
// frames the microphone alone would pass were the user's, not cancelled within the margin.
test('a run found surely is proven as the search ends; the word is taken only then', () => {
  const proof = proofOf();
  assert.equal(proof.unproven(true, true, ...frame(70, 70)), true, 'searched for: unproven, surely or not');
  assert.equal(proof.unproven(false, true, ...frame(70, 66)), false, 'found surely: proven, the user over the residual');
  const late = proofOf();
  late.unproven(true, false, ...frame(70, 70));
  late.unproven(false, false, ...frame(70, 66));
  assert.equal(late.unproven(false, true, ...frame(70, 66)), true, 'a word come after the search ended proves nothing');
});
