// Microphone capture on the audio thread: mono, low-pass filtered, resampled from the
// context rate to the session's input rate, converted to PCM16 and posted in fixed frames
// (the main thread sends each as one binary WebSocket message).

const TAPS = 32;

/** Windowed-sinc low-pass taps (Blackman), cutoff as a fraction of the input rate. */
function lowPass(cutoff) {
  const taps = new Float32Array(TAPS);
  const middle = (TAPS - 1) / 2;
  let sum = 0;
  for (let i = 0; i < TAPS; i++) {
    const x = i - middle;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const window = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (TAPS - 1));
    taps[i] = sinc * window;
    sum += taps[i];
  }
  for (let i = 0; i < TAPS; i++) taps[i] /= sum;
  return taps;
}

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate, frameMs } = options.processorOptions;
    this.step = sampleRate / targetRate; // input samples per output sample
    // Anti-alias below the target Nyquist; nothing to remove when upsampling.
    this.taps = this.step > 1 ? lowPass((0.45 * targetRate) / sampleRate) : null;
    this.history = new Float32Array(TAPS * 2); // ring, doubled so a window is always contiguous
    this.head = 0;
    this.inputIndex = 0; // index of the next filtered input sample
    this.nextOutput = 0; // input position of the next output sample
    this.previous = 0; // last filtered sample
    this.frameSamples = Math.round((targetRate * frameMs) / 1000);
    this.frame = new Int16Array(this.frameSamples);
    this.filled = 0;
    this.peak = 0;
    this.running = true;
    this.port.onmessage = (e) => {
      if (e.data === 'stop') this.running = false;
    };
  }

  filter(x) {
    if (!this.taps) return x;
    this.history[this.head] = x;
    this.history[this.head + TAPS] = x;
    this.head = (this.head + 1) % TAPS;
    let acc = 0;
    for (let i = 0; i < TAPS; i++) acc += this.taps[i] * this.history[this.head + i];
    return acc;
  }

  emit(value) {
    const s = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
    const magnitude = Math.abs(s);
    if (magnitude > this.peak) this.peak = magnitude;
    if (this.filled === this.frameSamples) {
      this.port.postMessage({ pcm: this.frame.buffer, peak: this.peak }, [this.frame.buffer]);
      this.frame = new Int16Array(this.frameSamples);
      this.filled = 0;
      this.peak = 0;
    }
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return this.running;
    const length = channels[0].length;
    for (let n = 0; n < length; n++) {
      let x = 0;
      for (let c = 0; c < channels.length; c++) x += channels[c][n];
      const y = this.filter(x / channels.length);
      const k = this.inputIndex;
      // Outputs at positions in (k - 1, k]: linear interpolation between y[k-1] and y[k].
      while (this.nextOutput <= k) {
        const t = this.nextOutput - (k - 1);
        this.emit(this.previous + t * (y - this.previous));
        this.nextOutput += this.step;
      }
      this.previous = y;
      this.inputIndex = k + 1;
    }
    return this.running;
  }
}

registerProcessor('duet-capture', CaptureProcessor);
