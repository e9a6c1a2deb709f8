import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnsetGate, type FrameEvidence } from '../../server/audio/echo/onset-gate.js';

// The onset gate's judgement over recorded frames: here, frames the search for a missing echo
// found unexplained (markUnexplained) while the filter was distrusted. The canceller's own use of
// the gate is tested through it (echo-canceller.test.ts, echo-stalls.test.ts, echo-underruns.test.ts).

const db = (x: number) => 10 ** (x / 10);

/** Commits `n` frames of the same evidence. */
function commit(gate: OnsetGate, n: number, evidence: FrameEvidence): void {
  for (let k = 0; k < n; k++) {
    Object.assign(gate.next, evidence);
    gate.commit();
  }
}

/** A trusted filter whose residual says nothing (the output at the residual, 6 dB under the microphone), the models unusable, nothing else known: tests override what they are about. */
const TRUSTED: FrameEvidence = { active: true, trusted: true, outEnergy: db(60), micEnergy: db(66), residual: db(60), onsetExcess: 1, boundEcho: Infinity, rawResidual: 0, envelopeEcho: 0, spectralClear: 0, spectralTotal: 0, spectralMayStart: true, modelsMayStart: true, filterCancels: false, freshDistrust: false, earlyResidual: 0, earlyExpected: 0, earlyWitnessOnly: false };

/** `n` frames of a distrusted filter: the microphone at `micDb`, the room's loudest echo bound at `rawDb` (mean squares, dB). */
function distrusted(gate: OnsetGate, n: number, micDb: number, rawDb: number): void {
  commit(gate, n, { ...TRUSTED, trusted: false, outEnergy: db(micDb), micEnergy: db(micDb), residual: db(20), rawResidual: db(rawDb) });
}

test('a distrusted filter: the user as loud as the room\'s loudest echo bound does not start speech, unless the search found the frames unexplained (90% to start, soon after the distrust; 50% to go on)', () => {
  const gate = new OnsetGate(db(12), db(6));
  distrusted(gate, 20, 66, 68);
  assert.equal(gate.allowsOnset(10, 14, false), false, 'under the bound');
  assert.equal(gate.allowsOnset(10, 14, true), false, 'going on');
  gate.markUnexplained(10, 20, 0.94, true);
  assert.equal(gate.allowsOnset(10, 14, false), true, '94% unexplained');
  gate.markUnexplained(10, 20, 0.6, true);
  assert.equal(gate.allowsOnset(10, 14, false), true, 'a frame keeps the most any search found');
  distrusted(gate, 10, 66, 68);
  gate.markUnexplained(20, 30, 0.84, true);
  assert.equal(gate.allowsOnset(20, 24, false), false, '84%: the gap\'s first windows (the echo\'s tail, chance) reach 83%');
  assert.equal(gate.allowsOnset(20, 24, true), true, 'going on: the echo coming back under the voice');
  gate.markUnexplained(30, 31, 0.95, true);
  distrusted(gate, 10, 66, 68);
  assert.equal(gate.allowsOnset(30, 31, false), false, 'only frames already committed are marked');
  // A span mixing a frame found unexplained with others: those others still stand against the bound.
  gate.markUnexplained(30, 31, 0.95, true);
  assert.equal(gate.allowsOnset(30, 31, false), true, 'the frame alone');
  assert.equal(gate.allowsOnset(30, 34, false), false, 'three frames of the four under the bound');
  distrusted(gate, 10, 66, 40);
  assert.equal(gate.allowsOnset(40, 44, false), true, 'clear of the bound: no search needed');
  // Found too long after the distrust (an echo come back beyond the searched delays may be in it): the share only carries a word on.
  distrusted(gate, 10, 66, 68);
  gate.markUnexplained(50, 60, 0.97, false);
  assert.equal(gate.allowsOnset(50, 54, false), false, 'late: no start');
  assert.equal(gate.allowsOnset(50, 54, true), true, 'late: going on');
  gate.markUnexplained(50, 60, 0.93, true);
  assert.equal(gate.allowsOnset(50, 54, false), true, 'a fresh search of the same frames may start');
});

test('marks are for their frames only: a frame index the ring has reused is not marked', () => {
  const gate = new OnsetGate(db(12), db(6));
  distrusted(gate, 20, 66, 68);
  gate.markUnexplained(0, 20, 0.95, true);
  distrusted(gate, 512, 66, 68);
  assert.equal(gate.allowsOnset(512, 516, false), false, '512 frames later, the same slots');
  assert.equal(gate.allowsOnset(0, 4, false), true, 'out of the ring: nothing to hold it back');
});

test('the spectral model starts speech only where it may (not for a while after the filter forgot the room); it carries a word on either way', () => {
  const gate = new OnsetGate(db(12), db(6));
  // A trusted filter whose residual says nothing (the output at the residual), the envelope model
  // predicting the echo 3 dB under the microphone, and half the microphone in clear bands.
  const frames = (n: number, spectralMayStart: boolean, clearShare = 0.5) =>
    commit(gate, n, { ...TRUSTED, envelopeEcho: db(63), spectralClear: db(66) * clearShare, spectralTotal: db(66), spectralMayStart });
  frames(4, true);
  assert.equal(gate.allowsOnset(0, 4, false), true, 'clear bands start speech');
  // 41%: the far room's echo alone 1.8 s in, a young band model under-predicting a new sound's low bands (bench:echo pauses).
  frames(4, true, 0.41);
  assert.equal(gate.allowsOnset(4, 8, false), false, '41% clear starts nothing');
  assert.equal(gate.allowsOnset(4, 8, true), true, '41% clear carries a word on');
  frames(4, true);
  frames(4, false);
  assert.equal(gate.allowsOnset(12, 16, false), false, 'not just after the room was forgotten');
  assert.equal(gate.allowsOnset(12, 16, true), true, 'a word goes on');
  assert.equal(gate.allowsOnset(10, 14, false), false, 'a span with any such frame');
});

/** What the early filter shows: its residual `overDb` over the residual it expects (its own units), or nothing (null: not vouching). */
const early = (overDb: number | null): Partial<FrameEvidence> => ({ earlyResidual: overDb === null ? 0 : db(40 + overDb), earlyExpected: overDb === null ? 0 : db(40) });

// The socket's echo alone in a first answer (small room): 1.7 s in, 46% clear and the early filter's
// residual 25 dB under what it expects; 2.4 s in, SpeexDSP's young filter 14 dB over its residual
// and the early filter 3-5 dB under.
const EARLY_EXPLAINS_CASES = [
  // Half the microphone in clear bands, the envelope model 3 dB under the microphone.
  { evidence: 'the spectral model', frame: { envelopeEcho: db(63), spectralClear: db(66) * 0.5, spectralTotal: db(66) }, explainedDb: -25, unexplainedDb: 4 },
  // The output 14 dB over the residual (the margin 12).
  { evidence: "SpeexDSP's filter", frame: { outEnergy: db(64), micEnergy: db(66), residual: db(50) }, explainedDb: -4, unexplainedDb: 2 },
];

test('neither the spectral model nor SpeexDSP\'s filter starts speech the early filter, where it vouches, explains within the residual it expects; both carry a word on', () => {
  for (const c of EARLY_EXPLAINS_CASES) {
    const gate = new OnsetGate(db(12), db(6));
    const frames = (n: number, earlyOverDb: number | null) => commit(gate, n, { ...TRUSTED, ...c.frame, ...early(earlyOverDb) });
    frames(4, null);
    assert.equal(gate.allowsOnset(0, 4, false), true, `the early filter silent: ${c.evidence} starts speech`);
    frames(4, c.explainedDb);
    assert.equal(gate.allowsOnset(4, 8, false), false, `${c.evidence}: explained by the early filter (${c.explainedDb} dB), nothing starts`);
    assert.equal(gate.allowsOnset(4, 8, true), true, `${c.evidence}: a word goes on`);
    frames(4, c.unexplainedDb);
    assert.equal(gate.allowsOnset(8, 12, false), true, `the early filter leaving ${c.unexplainedDb} dB more than it expects (short of its own 9 dB): ${c.evidence} starts speech`);
  }
});

test('the early filter as a witness only (once SpeexDSP has learnt the room): explaining a frame, it holds back SpeexDSP\'s filter misfitting; leaving far more than it expects, it neither starts speech nor carries a word on by itself', () => {
  const gate = new OnsetGate(db(12), db(6));
  // SpeexDSP's trusted filter misfitting mid-sound (the small room at +6 dB, 6.6 s into the pauses
  // row's second text): its output 15 dB over its residual, the witness 12 dB under what it expects.
  commit(gate, 4, { ...TRUSTED, outEnergy: db(64), residual: db(49), ...early(-12), earlyWitnessOnly: true });
  assert.equal(gate.allowsOnset(0, 4, false), false, 'explained by the witness, nothing starts');
  assert.equal(gate.allowsOnset(0, 4, true), true, 'a word goes on');
  // SpeexDSP's output at its residual, nothing else known: only the early filter could hear a voice.
  commit(gate, 4, { ...TRUSTED, ...early(20), earlyWitnessOnly: true });
  assert.equal(gate.allowsOnset(4, 8, false), false, 'a witness 20 dB over what it expects starts nothing');
  assert.equal(gate.allowsOnset(4, 8, true), false, 'nor carries a word on');
  commit(gate, 4, { ...TRUSTED, ...early(20) });
  assert.equal(gate.allowsOnset(8, 12, false), true, 'the early filter still learning by RLS starts speech');
});

test('neither echo model starts speech while the envelope model fits the echo better at another delay; both carry a word on', () => {
  const gate = new OnsetGate(db(12), db(6));
  // The envelope model predicting the echo 10 dB under the microphone (over its 9 dB margin), and
  // half the microphone in clear bands; the filter's residual says nothing.
  const frames = (n: number, modelsMayStart: boolean, envelopeDb: number, clearShare: number) =>
    commit(gate, n, { ...TRUSTED, envelopeEcho: db(envelopeDb), spectralClear: db(66) * clearShare, spectralTotal: db(66), modelsMayStart });
  frames(4, true, 56, 0);
  assert.equal(gate.allowsOnset(0, 4, false), true, 'the envelope model starts speech');
  frames(4, false, 56, 0);
  assert.equal(gate.allowsOnset(4, 8, false), false, 'not while it fits better elsewhere');
  assert.equal(gate.allowsOnset(4, 8, true), true, 'a word goes on');
  frames(4, true, 63, 0.5);
  assert.equal(gate.allowsOnset(8, 12, false), true, 'the spectral model starts speech');
  frames(4, false, 63, 0.5);
  assert.equal(gate.allowsOnset(12, 16, false), false, 'not while the envelope model fits better elsewhere');
  assert.equal(gate.allowsOnset(12, 16, true), true, 'a word goes on');
});

test('a candidate may be bridged where the envelope model is usable, or where the trusted filter cancels the echo deeply; not where the filter is distrusted', () => {
  const gate = new OnsetGate(db(12), db(6));
  const frames = (n: number, trusted: boolean, envelopeDb: number, filterCancels: boolean) =>
    commit(gate, n, { ...TRUSTED, trusted, outEnergy: db(40), residual: db(40), rawResidual: trusted ? 0 : db(70), envelopeEcho: envelopeDb > 0 ? db(envelopeDb) : 0, filterCancels });
  frames(4, true, 63, false);
  assert.equal(gate.mayBridge(0, 4), true, 'the envelope model usable');
  frames(4, true, 0, false);
  assert.equal(gate.mayBridge(4, 8), false, 'neither model nor deep cancelling');
  frames(4, true, 0, true);
  assert.equal(gate.mayBridge(8, 12), true, 'the filter cancelling deeply');
  frames(4, false, 0, true);
  assert.equal(gate.mayBridge(12, 16), false, 'a distrusted filter');
});

test('a candidate may be bridged through frames where the filter was just distrusted, if the echo models (envelope or spectral) heard the user clear of the echo in the frames before them', () => {
  // The user began in a pause of the echo; the echo, come back late after an underrun, distrusted
  // the filter under the word (far room, 30 ms 3 s into a first answer: the candidate was cut 20 ms
  // short of confirming, and the barge-in heard 1.1 s late).
  const heard = new OnsetGate(db(12), db(6));
  const frames = (gate: OnsetGate, n: number, e: Partial<FrameEvidence>) => commit(gate, n, { ...TRUSTED, outEnergy: db(66), micEnergy: db(66), residual: db(40), ...e });
  frames(heard, 10, { envelopeEcho: db(50) });
  frames(heard, 4, { trusted: false, freshDistrust: true, rawResidual: db(70), envelopeEcho: db(64) });
  assert.equal(heard.mayBridge(10, 14), true, 'the models heard the user 16 dB over the echo they predict');
  frames(heard, 4, { trusted: false, freshDistrust: false, rawResidual: db(70), envelopeEcho: db(64) });
  assert.equal(heard.mayBridge(14, 18), false, 'no longer fresh: a distrusted filter');
  // The echo passing a trusted filter that reads it at the wrong place (a stall the client never
  // had) looks the same to the filter; the models, not yet confirmed by the run's echo, vouch for nothing.
  const unheard = new OnsetGate(db(12), db(6));
  frames(unheard, 10, { envelopeEcho: db(50), modelsMayStart: false });
  frames(unheard, 4, { trusted: false, freshDistrust: true, rawResidual: db(70), envelopeEcho: db(64) });
  assert.equal(unheard.mayBridge(10, 14), false, 'the models may not start speech');
  const near = new OnsetGate(db(12), db(6));
  frames(near, 10, { envelopeEcho: db(60) });
  frames(near, 4, { trusted: false, freshDistrust: true, rawResidual: db(70), envelopeEcho: db(64) });
  assert.equal(near.mayBridge(10, 14), false, 'the microphone 6 dB over the predicted echo: under the onset margin');
  const clear = new OnsetGate(db(12), db(6));
  frames(clear, 10, { envelopeEcho: db(63), spectralClear: db(66) * 0.5, spectralTotal: db(66) });
  frames(clear, 4, { trusted: false, freshDistrust: true, rawResidual: db(70), envelopeEcho: db(64) });
  assert.equal(clear.mayBridge(10, 14), true, 'the spectral model: half the microphone in bands clear of the echo');
  const unclear = new OnsetGate(db(12), db(6));
  frames(unclear, 10, { envelopeEcho: db(63), spectralClear: db(66) * 0.5, spectralTotal: db(66), spectralMayStart: false });
  frames(unclear, 4, { trusted: false, freshDistrust: true, rawResidual: db(70), envelopeEcho: db(64) });
  assert.equal(unclear.mayBridge(10, 14), false, 'not while the spectral model may not start speech');
});

test('the early filter starts speech where what it leaves stands 9 dB over the residual it expects (3 dB to go on), only where every frame has its word, the filter trusted and the models aligned', () => {
  const frames = (gate: OnsetGate, n: number, overDb: number, extra: Partial<FrameEvidence> = {}) =>
    commit(gate, n, { ...TRUSTED, earlyResidual: db(70 + overDb), earlyExpected: db(70), ...extra });
  const clear = new OnsetGate(db(12), db(6));
  frames(clear, 20, 10);
  assert.equal(clear.allowsOnset(8, 12, false), true, '10 dB over');
  const under = new OnsetGate(db(12), db(6));
  frames(under, 20, 5);
  assert.equal(under.allowsOnset(8, 12, false), false, '5 dB over does not start');
  assert.equal(under.allowsOnset(8, 12, true), true, '5 dB over goes on');
  const partly = new OnsetGate(db(12), db(6));
  frames(partly, 10, 10);
  frames(partly, 10, 10, { earlyExpected: 0, earlyResidual: 0 });
  assert.equal(partly.allowsOnset(8, 12, false), false, 'a frame without its word');
  const distrusted = new OnsetGate(db(12), db(6));
  frames(distrusted, 20, 10, { trusted: false, rawResidual: db(80) });
  assert.equal(distrusted.allowsOnset(8, 12, false), false, 'the filter distrusted');
  assert.equal(distrusted.allowsOnset(8, 12, true), true, 'going on, as the models');
  const shifted = new OnsetGate(db(12), db(6));
  frames(shifted, 20, 10, { modelsMayStart: false });
  assert.equal(shifted.allowsOnset(8, 12, false), false, 'the envelope fits the echo better at another delay');
});

test('frames held back from starting speech may lead a candidate where the trusted filter\'s output stands 9 dB over its residual, the onset excess left out; not where the filter is distrusted', () => {
  const gate = new OnsetGate(db(12), db(6));
  // A user's quiet first frame under a new answer's echo: 10 dB over the residual, which the echo's onset raises 6 dB to start.
  commit(gate, 4, { ...TRUSTED, outEnergy: db(70), micEnergy: db(72), onsetExcess: db(6) });
  assert.equal(gate.allowsOnset(0, 4, false), false, 'not enough to start');
  assert.equal(gate.mayLead(0, 4), true, 'enough to lead');
  // The echo passing a filter misaligned yet trusted: 6 dB over, which would carry a candidate on.
  commit(gate, 4, { ...TRUSTED, outEnergy: db(66), micEnergy: db(70) });
  assert.equal(gate.allowsOnset(4, 8, true), true, 'going on');
  assert.equal(gate.mayLead(4, 8), false, 'not a lead');
  assert.equal(gate.mayLead(2, 6), false, 'summed over the span: 8 dB');
  // The user's output over the microphone counts no more than the microphone.
  commit(gate, 4, { ...TRUSTED, outEnergy: db(80), micEnergy: db(68) });
  assert.equal(gate.mayLead(8, 12), false);
  commit(gate, 4, { ...TRUSTED, trusted: false, outEnergy: db(80), micEnergy: db(80), rawResidual: db(60) });
  assert.equal(gate.mayLead(12, 16), false, 'distrusted');
  assert.equal(gate.mayLead(14, 20), false, 'not all committed yet');
  commit(gate, 4, { ...TRUSTED, active: false, outEnergy: db(40), micEnergy: db(40), residual: 0 });
  assert.equal(gate.mayLead(16, 20), true, 'no echo to tell the voice from');
});
