// Worker thread for wasm-engine.ts: runs the espeak-ng CLI that the `text2wav`
// package compiled to WebAssembly. One run blocks for 50-120 ms (espeak loads
// its data on every run), so it runs here and not on the server's event loop.
// Plain JS so that it needs no TypeScript loader inside the worker.
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const EspeakNg = require('text2wav/lib/espeak-ng');
// Compiled once; each run only instantiates (a fresh instance: main() is one-shot).
const compiled = new WebAssembly.Module(readFileSync(require.resolve('text2wav/lib/espeak-ng.wasm')));

function run(args) {
  return new Promise((resolve, reject) => {
    let failure = null;
    const errors = [];
    const before = { uncaughtException: process.listeners('uncaughtException'), unhandledRejection: process.listeners('unhandledRejection') };
    const restoreListeners = () => {
      // The module registers process handlers on every instantiation; drop them.
      for (const [event, kept] of Object.entries(before)) {
        for (const listener of process.listeners(event)) if (!kept.includes(listener)) process.off(event, listener);
      }
    };
    const Module = {
      arguments: ['-w', 'out.wav', ...args],
      print: () => {},
      printErr: (line) => errors.push(line),
      quit: (status) => {
        if (status !== 0) failure = new Error(errors.find((e) => e.startsWith('Error')) ?? `espeak-ng exited with ${status}`);
      },
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance), reject);
        return {};
      },
      postRun() {
        restoreListeners();
        const file = Module.FS.root.contents['out.wav'];
        Module.FS.unmount('/usr/share');
        if (failure) reject(failure);
        else if (!file) reject(new Error('espeak-ng wrote no audio'));
        else resolve(new Uint8Array(file.contents));
      },
    };
    EspeakNg(Module);
  });
}

parentPort.on('message', async ({ id, args }) => {
  try {
    const wav = await run(args);
    parentPort.postMessage({ id, wav }, [wav.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String(err?.message ?? err) });
  }
});
