// Duet in the browser: microphone -> binary PCM16 frames, camera -> JPEG frames, answers ->
// transcript and playback. Speaks the protocol in protocol/README.md and nothing else.

import { Player } from './player.js';

const INPUT_RATE = 16000; // the server's pipeline rate: no second resampling there
const FRAME_MS = 40;
const CAMERA_INTERVAL_MS = 500; // ~2 fps, as VITA's client
const CAMERA_WIDTH = 640;
const KEY_STORAGE = 'duet.apiKey';

const $ = (id) => document.getElementById(id);
const ui = {
  start: $('start'), camera: $('camera'), modality: $('modality'), state: $('state'), stateLabel: $('state-label'),
  level: $('level'), notices: $('notices'), keyForm: $('key-form'), keyLabel: $('key-label'), keyInput: $('key-input'),
  transcript: $('transcript'), preview: $('preview'), textForm: $('text-form'), textInput: $('text-input'), textSend: $('text-send'),
};

// ---------------------------------------------------------------- live state and notices

const STATE_LABELS = {
  idle: 'Press Start to talk', connecting: 'Connecting…', listening: 'Listening', hearing: 'Hearing you',
  ignored: 'Ignored as noise', thinking: 'Thinking…', answering: 'Answering', paused: 'Hearing you (answer paused)',
  interrupted: 'Interrupted', closed: 'Disconnected', error: 'Not connected',
};
/** States that show for a moment, then give way to what is going on. */
const TRANSIENT_MS = { ignored: 1500, interrupted: 2500 };
let transientTimer = null;

function setState(state) {
  clearTimeout(transientTimer);
  ui.state.dataset.state = state;
  ui.stateLabel.textContent = STATE_LABELS[state];
  if (TRANSIENT_MS[state]) transientTimer = setTimeout(() => ui.state.dataset.state === state && setState(settledState()), TRANSIENT_MS[state]);
}

/** What the page is doing once nothing transient is going on. */
function settledState() {
  if (!socketReady()) return 'closed';
  if (current.responseId || player.playing) return 'answering';
  return 'listening';
}

function notice(kind, text, key = text) {
  let el = ui.notices.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!el) {
    el = document.createElement('div');
    el.dataset.key = key;
    ui.notices.append(el);
  }
  el.className = `notice ${kind}`;
  el.textContent = text;
}

function clearNotice(key) {
  ui.notices.querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
}

// ---------------------------------------------------------------- transcript

const turns = new Map(); // item id -> <li>

function turn(itemId, role) {
  let li = turns.get(itemId);
  if (li) return li;
  li = document.createElement('li');
  li.className = `turn ${role}`;
  li.dataset.itemId = itemId;
  li.innerHTML = `<span class="who">${role === 'user' ? 'You' : 'Duet'}<span class="tag" hidden></span></span><span class="text"></span>`;
  turns.set(itemId, li);
  ui.transcript.append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
}

/** A user item merged into a later one (duet.turn.merged): its words now show there. */
function removeTurn(itemId) {
  turns.get(itemId)?.remove();
  turns.delete(itemId);
}

function tag(li, text, status) {
  const el = li.querySelector('.tag');
  el.hidden = false;
  el.textContent = text;
  if (status) li.dataset.status = status;
}

const appendText = (li, text) => li.querySelector('.text').append(text);
const setText = (li, text) => (li.querySelector('.text').textContent = text);

// ---------------------------------------------------------------- answer playback

const player = new Player();
player.onIdle = () => {
  if (['answering', 'interrupted'].includes(ui.state.dataset.state) && !current.responseId) setState('listening');
};

// ---------------------------------------------------------------- connection

let ws = null;
let sessionConfigured = false;
let capabilities = {};
const current = { responseId: null, itemId: null };
const responseItems = new Map(); // response id -> assistant item id
const truncated = new Set();
/** The server paused the current answer (duet.response.paused) and has not resumed or cleared it. */
let answerPaused = false;

const socketReady = () => ws?.readyState === WebSocket.OPEN;

function send(event) {
  if (socketReady()) ws.send(JSON.stringify(event));
}

function connect() {
  const key = sessionStorage.getItem(KEY_STORAGE);
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/realtime`;
  const protocols = ['realtime', ...(key ? [`openai-insecure-api-key.${key}`] : [])];
  try {
    ws = new WebSocket(url, protocols);
  } catch {
    return showKeyForm('That API key contains characters that cannot be sent; check it.');
  }
  ws.binaryType = 'arraybuffer';
  sessionConfigured = false;
  let opened = false;
  setState('connecting');
  ws.onopen = () => (opened = true);
  ws.onmessage = (m) => typeof m.data === 'string' && handle(JSON.parse(m.data));
  ws.onclose = (e) => {
    const wasCurrent = ws === e.target;
    if (!wasCurrent) return;
    sessionConfigured = false;
    setInputsEnabled(false);
    if (!opened) return void explainRefusal(key);
    stopPlayback();
    stopMic();
    stopCamera();
    current.responseId = null;
    if (e.code === 1001) notice('warn', 'The server restarted or shut down. Press Start to reconnect.', 'closed');
    else if (e.code === 1008) notice('error', 'The connection was too slow to keep up with the server and was closed.', 'closed');
    else if (e.code !== 1013 && e.code !== 1000) notice('warn', `Disconnected (${e.code}). Press Start to reconnect.`, 'closed');
    setState('closed');
    ui.start.textContent = 'Start';
  };
}

/** The browser hides the HTTP status of a refused upgrade; ask the server directly why. */
async function explainRefusal(key) {
  try {
    const res = await fetch('/v1/realtime', key ? { headers: { Authorization: `Bearer ${key}` } } : {});
    if (res.status === 401) return showKeyForm(key ? 'That API key was not accepted. Enter another one.' : 'This server needs an API key.');
  } catch {
    /* the server is unreachable: said below */
  }
  notice('error', 'Cannot reach the Duet server. Is it running? Press Start to retry.', 'closed');
  setState('error');
  ui.start.textContent = 'Start';
}

function showKeyForm(message) {
  ui.keyLabel.textContent = message;
  ui.keyForm.hidden = false;
  ui.keyInput.focus();
  setState('error');
}

function configureSession() {
  // This page knows duet.* events: speech is announced at once and playback freezes only once it is
  // confirmed (a tentative pause is covered by the audio already buffered, so a click leaves no gap).
  // The browser cancels echo itself (getUserMedia echoCancellation): the server's canceller would only
  // hold back early barge-ins while it learns that there is no echo left.
  const session = { type: 'realtime', output_modalities: [ui.modality.value], audio: { input: { format: { type: 'audio/pcm', rate: INPUT_RATE } } }, duet: { speech_started: 'immediate', echo_cancellation: false } };
  send({ type: 'session.update', session });
  sessionConfigured = true; // events are handled in order: audio sent from here on is read at INPUT_RATE
}

function setInputsEnabled(on) {
  ui.textInput.disabled = ui.textSend.disabled = !on;
  ui.camera.disabled = !on;
}

// ---------------------------------------------------------------- server events

function checkCapabilities() {
  const c = capabilities;
  clearNotice('model');
  clearNotice('tts');
  if (c.generator && !c.generator.available && /^(downloading|loading) /.test(c.generator.reason ?? '')) {
    notice('warn', `Getting the model ready: ${c.generator.reason}. Answers start when it is loaded; no need to reload.`, 'model');
  } else if (c.generator && !c.generator.available) {
    notice('error', `Model unavailable: ${c.generator.reason ?? 'no chat model is loaded'}. Your speech is detected but cannot be answered.`, 'model');
  }
  if (ui.modality.value === 'audio' && c.tts && !c.tts.available) {
    notice('warn', `Answers come as text: ${c.tts.reason ?? 'no speech synthesizer is loaded'}.`, 'tts');
  }
}

/** Stops playback at once; if an answer was audible, tells the server how much was heard. */
function stopPlayback(itemId) {
  const audible = itemId && player.hasAudio(itemId) && !truncated.has(itemId);
  const playedMs = player.clear(itemId);
  if (!audible) return;
  truncated.add(itemId);
  send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: playedMs });
}

function markInterrupted(itemId) {
  const li = itemId && turns.get(itemId);
  if (li && li.dataset.status !== 'interrupted') tag(li, 'interrupted', 'interrupted');
}

const ERROR_TEXT = {
  server_busy: (m) => `The server is busy (${m}). Try again in a minute.`,
  model_unavailable: (m) => `Model unavailable: ${m}`,
  rate_limited: (m) => `Sending too fast: ${m}`,
  idle_timeout: () => 'Closed after a long silence. Press Start to talk again.',
};

function handle(e) {
  const log = window.duet.events;
  log.push(e.type);
  if (log.length > 2000) log.splice(0, 1000);
  switch (e.type) {
    case 'session.created':
      capabilities = e.session.duet?.capabilities ?? {};
      clearNotice('closed');
      configureSession();
      checkCapabilities();
      setInputsEnabled(true);
      setState('listening');
      return;
    case 'duet.capabilities.updated':
      // Models arriving after start (first-start download): progress, then answers.
      capabilities = e.capabilities ?? {};
      return checkCapabilities();
    case 'input_audio_buffer.speech_started':
      turn(e.item_id, 'user').dataset.startMs = e.audio_start_ms;
      // Confirmed speech over a paused answer: freeze what is buffered until the monitor decides.
      if (answerPaused) player.hold();
      return setState('hearing');
    case 'input_audio_buffer.speech_stopped': {
      const li = turn(e.item_id, 'user');
      li.querySelector('.text').dataset.duration = `${((e.audio_end_ms - Number(li.dataset.startMs ?? e.audio_end_ms)) / 1000).toFixed(1)} s`;
      if (ui.state.dataset.state === 'hearing') setState('thinking');
      return;
    }
    case 'conversation.item.added':
      if (e.item.role === 'user') {
        const text = e.item.content?.find((c) => c.type === 'input_text')?.text;
        if (text !== undefined) setText(turn(e.item.id, 'user'), text);
      }
      return;
    case 'conversation.item.input_audio_transcription.delta':
      return appendText(turn(e.item_id, 'user'), e.delta);
    case 'conversation.item.input_audio_transcription.completed':
      return setText(turn(e.item_id, 'user'), e.transcript);
    case 'duet.monitor.state':
      if (e.state === '<2>') {
        if (e.item_id) tag(turn(e.item_id, 'user'), e.reason ? `ignored: ${e.reason}` : 'ignored as noise', 'noise');
        turns.get(e.item_id)?.classList.add('noise');
        return setState('ignored');
      }
      if (e.action === 'interrupt') {
        markInterrupted(current.itemId);
        return setState('interrupted');
      }
      return setState('thinking');
    case 'duet.turn.held':
      // The user paused mid-sentence: no answer yet, the rest of the turn is awaited.
      tag(turn(e.item_id, 'user'), 'waiting for the rest…', 'held');
      return setState('listening');
    case 'duet.turn.merged': {
      const li = turn(e.item_id, 'user');
      for (const id of e.merged_item_ids) removeTurn(id);
      if (e.transcript !== null) setText(li, e.transcript);
      tag(li, `one turn (${e.merged_item_ids.length + 1} pieces)`, 'merged');
      return;
    }
    case 'duet.response.ducked':
      // Speech over the answer: it goes on lowered (the server lowers what it sends; the page what it
      // holds). Only because the page cancels echo itself: the server's canceller, were it on, would
      // expect the buffered audio to play as it was sent.
      return player.duck(e.gain_db);
    case 'duet.response.paused':
      answerPaused = true;
      // A tentative pause (first speech frames) may prove a blip: keep playing what is buffered.
      if (!e.tentative) player.hold();
      return setState('paused');
    case 'duet.response.resumed':
      answerPaused = false;
      player.release();
      player.unduck();
      // "Ignored as noise" stays up for its moment, then settles on answering.
      if (ui.state.dataset.state !== 'ignored') setState('answering');
      return;
    case 'duet.output_audio.clear': {
      answerPaused = false;
      const itemId = responseItems.get(e.response_id);
      stopPlayback(itemId);
      markInterrupted(itemId);
      return setState('interrupted');
    }
    case 'response.created':
      current.responseId = e.response.id;
      current.itemId = null;
      if (ui.state.dataset.state !== 'interrupted') setState('thinking');
      return;
    case 'response.output_item.added':
      responseItems.set(e.response_id, e.item.id);
      current.itemId = e.item.id;
      turn(e.item.id, 'assistant');
      return;
    case 'response.output_text.delta':
    case 'response.output_audio_transcript.delta':
      appendText(turn(e.item_id, 'assistant'), e.delta);
      if (ui.state.dataset.state !== 'paused') setState('answering');
      return;
    case 'response.output_audio.delta':
      return player.enqueue(e.item_id, e.delta);
    case 'response.done':
      return responseDone(e.response);
    case 'conversation.item.truncated': {
      const li = turns.get(e.item_id);
      if (li) tag(li, `interrupted after ${(e.audio_end_ms / 1000).toFixed(1)} s`, 'interrupted');
      return;
    }
    case 'duet.session.closing':
      return notice('warn', `The server is shutting down; this conversation ends within ${Math.round(e.deadline_ms / 1000)} s.`, 'closed');
    case 'error': {
      const { code, type, message } = e.error;
      // Request errors are the page's own doing: for the console, not the person talking.
      if (type === 'invalid_request_error' && !ERROR_TEXT[code]) return console.warn(`Duet: ${code}: ${message}`);
      notice(type === 'server_error' ? 'error' : 'warn', ERROR_TEXT[code]?.(message) ?? `${code}: ${message}`, code);
      if (code === 'server_busy') setState('error');
      else if (ui.state.dataset.state === 'thinking') setState(settledState()); // no answer is coming
      return;
    }
  }
}

function responseDone(response) {
  const itemId = responseItems.get(response.id);
  if (response.id === current.responseId) current.responseId = null;
  if (response.status === 'cancelled') {
    // Cancelled without a clear (e.g. response.cancel): nothing more of it may play.
    if (player.playing && itemId) stopPlayback(itemId);
    markInterrupted(itemId);
  } else if (response.status === 'failed') {
    const err = response.status_details?.error;
    notice('error', `The answer failed: ${err ? `${err.code}: ${err.message}` : 'unknown error'}`, 'failed');
  } else if (response.status === 'incomplete') {
    const li = itemId && turns.get(itemId);
    if (li) tag(li, 'cut at the token limit');
  }
  if (!current.responseId && !player.playing && ui.state.dataset.state !== 'interrupted') setState('listening');
}

// ---------------------------------------------------------------- microphone and camera

let audioCtx = null;
let mic = null; // { stream, node }
let camera = null; // { stream, timer }

const MIC_ERRORS = {
  NotAllowedError: 'Microphone access was denied. Allow the microphone for this site (the icon in the address bar), then press Start again. You can still type below.',
  NotFoundError: 'No microphone was found. Connect one and press Start again. You can still type below.',
  NotReadableError: 'The microphone is in use by another application or could not be opened.',
};

async function startMic() {
  if (!navigator.mediaDevices?.getUserMedia) {
    return notice('error', 'This page needs a secure origin (https:// or localhost) to use the microphone. You can still type below.', 'mic');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
  } catch (err) {
    return notice('error', MIC_ERRORS[err.name] ?? `The microphone could not be started: ${err.message}`, 'mic');
  }
  clearNotice('mic');
  const node = new AudioWorkletNode(audioCtx, 'duet-capture', {
    numberOfInputs: 1,
    numberOfOutputs: 0,
    processorOptions: { targetRate: INPUT_RATE, frameMs: FRAME_MS },
  });
  node.port.onmessage = ({ data }) => {
    ui.level.value = data.peak;
    if (sessionConfigured && socketReady()) ws.send(data.pcm);
  };
  audioCtx.createMediaStreamSource(stream).connect(node);
  mic = { stream, node };
}

function stopMic() {
  if (!mic) return;
  mic.node.port.postMessage('stop');
  mic.node.port.onmessage = null;
  for (const track of mic.stream.getTracks()) track.stop();
  mic = null;
  ui.level.value = 0;
}

async function toggleCamera() {
  if (camera) return stopCamera();
  const blind = capabilities.vision && !capabilities.vision.available;
  if (blind) notice('warn', `The model cannot see (${capabilities.vision.reason ?? 'no vision model'}): camera frames are not sent.`, 'camera');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: CAMERA_WIDTH } } });
  } catch (err) {
    return notice('error', err.name === 'NotAllowedError' ? 'Camera access was denied.' : `The camera could not be started: ${err.message}`, 'camera');
  }
  ui.preview.srcObject = stream;
  ui.preview.hidden = false;
  await ui.preview.play().catch(() => {});
  const canvas = document.createElement('canvas');
  let busy = false;
  const timer = setInterval(async () => {
    const { videoWidth: w, videoHeight: h } = ui.preview;
    if (blind || busy || !w || !sessionConfigured || !socketReady()) return;
    busy = true;
    const scale = Math.min(1, CAMERA_WIDTH / w);
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext('2d').drawImage(ui.preview, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.7));
    const bytes = blob && (await blob.arrayBuffer());
    // Announcement and bytes go out back to back: no audio frame can come between them.
    if (bytes && socketReady()) {
      send({ type: 'duet.input_image.append', binary: true, mime_type: 'image/jpeg' });
      ws.send(bytes);
    }
    busy = false;
  }, CAMERA_INTERVAL_MS);
  camera = { stream, timer };
  ui.camera.textContent = 'Camera off';
}

function stopCamera() {
  if (!camera) return;
  clearInterval(camera.timer);
  for (const track of camera.stream.getTracks()) track.stop();
  camera = null;
  ui.preview.hidden = true;
  ui.preview.srcObject = null;
  ui.camera.textContent = 'Camera on';
  clearNotice('camera');
}

// ---------------------------------------------------------------- controls

async function start() {
  ui.start.textContent = 'Stop';
  ui.keyForm.hidden = true;
  if (!audioCtx) {
    audioCtx = new AudioContext({ latencyHint: 'interactive' });
    player.ctx = new AudioContext({ latencyHint: 'interactive' });
    await audioCtx.audioWorklet.addModule('/static/audio-worklet.js');
  }
  await audioCtx.resume();
  player.release();
  await player.ctx.resume();
  if (!mic) await startMic();
  connect();
}

function stop() {
  const socket = ws;
  ws = null;
  socket?.close(1000);
  stopPlayback(current.itemId);
  stopMic();
  stopCamera();
  current.responseId = null;
  sessionConfigured = false;
  setInputsEnabled(false);
  setState('idle');
  ui.start.textContent = 'Start';
}

async function startOrExplain() {
  try {
    await start();
  } catch (err) {
    notice('error', `Could not start audio: ${err.message}`, 'audio');
    stop();
  }
}

ui.start.onclick = () => (ui.start.textContent === 'Stop' ? stop() : startOrExplain());
ui.camera.onclick = () => toggleCamera();
ui.modality.onchange = () => {
  if (!sessionConfigured) return;
  configureSession();
  checkCapabilities();
};
ui.keyForm.onsubmit = (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, ui.keyInput.value.trim());
  ui.keyInput.value = '';
  startOrExplain();
};
ui.textForm.onsubmit = (e) => {
  e.preventDefault();
  const text = ui.textInput.value.trim();
  if (!text || !socketReady()) return;
  send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
  send({ type: 'response.create' });
  ui.textInput.value = '';
};

/** Read-only view for tests and debugging in the console. */
window.duet = {
  events: [],
  state: () => ui.state.dataset.state,
  /** Which items have audio scheduled or playing, whether playback is held, its gain, and ms received per item. */
  player: () => ({
    held: player.held,
    gain: player.gain,
    scheduled: [...player.sources].map((s) => s.chunk.itemId),
    receivedMs: Object.fromEntries([...player.items].map(([id, item]) => [id, Math.round(item.receivedMs)])),
  }),
  playedMs: (itemId) => (player.ctx ? player.playedMs(itemId) : 0),
};
