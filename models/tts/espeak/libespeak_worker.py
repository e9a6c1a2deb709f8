#!/usr/bin/env python3
"""Long-lived espeak-ng synthesis worker for Duet (spawned by libespeak-engine.ts).

Why a Python sidecar: Node has no FFI without a native addon, and only the C API
of libespeak-ng reports where each word starts in the audio (synth callback
events). ctypes reaches that API with nothing but the Debian library installed.

Protocol. stdin: one JSON object per line,
  {"op": "synth", "id": N, "text": "...", "voice": "en-us+f3", "rate": 175}
  {"op": "cancel", "id": N}
stdout: frames of a 12-byte header <uint32 id, uint8 kind, 3 pad, uint32 length>
and `length` payload bytes:
  0 ready   JSON {"sampleRate": R}        (id 0, once at start)
  1 audio   int16 LE mono samples
  2 word    <int32 charStart, int32 charLength, int32 sample>  (0-based code points)
  3 clause  <int32 sample>                (end of a clause or sentence)
  4 done    empty                         (also after a cancel)
  5 error   UTF-8 message                 (id 0: fatal, the worker exits)
Sample positions count from the first sample of that request.
"""
import ctypes
import json
import queue
import struct
import sys
import threading

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
POS_CHARACTER = 1
CHARS_UTF8 = 1
PARAM_RATE = 1
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_END = 5
BUFFER_MS = 100

HEADER = struct.Struct('<IB3xI')
out = sys.stdout.buffer
write_lock = threading.Lock()


def send(request_id, kind, payload=b''):
    with write_lock:
        out.write(HEADER.pack(request_id, kind, len(payload)))
        out.write(payload)


class Event(ctypes.Structure):
    _fields_ = [
        ('type', ctypes.c_int),
        ('unique_identifier', ctypes.c_uint),
        ('text_position', ctypes.c_int),
        ('length', ctypes.c_int),
        ('audio_position', ctypes.c_int),
        ('sample', ctypes.c_int),
        ('user_data', ctypes.c_void_p),
        ('id', ctypes.c_int64),
    ]


SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))


def load():
    lib = ctypes.CDLL('libespeak-ng.so.1')
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, BUFFER_MS, None, INITIALIZE_DONT_EXIT)
    if rate <= 0:
        raise RuntimeError('espeak_Initialize failed (espeak-ng-data missing?)')
    return lib, rate


cancelled = set()
cancel_lock = threading.Lock()
requests = queue.Queue()


def read_commands():
    for line in sys.stdin:
        try:
            command = json.loads(line)
        except ValueError:
            continue
        if command.get('op') == 'cancel':
            with cancel_lock:
                cancelled.add(command['id'])
        elif command.get('op') == 'synth':
            requests.put(command)
    requests.put(None)  # stdin closed: the parent is gone


def main():
    try:
        lib, sample_rate = load()
    except Exception as error:  # noqa: BLE001 - reported to the parent, which falls back
        send(0, 5, str(error).encode())
        out.flush()
        return 1
    current = {'id': 0}

    def on_audio(wav, count, events):
        request_id = current['id']
        if request_id in cancelled:
            return 1  # aborts espeak_Synth
        # Audio first: the events of a callback point into the buffer it delivers.
        if count > 0:
            send(request_id, 1, ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == EVENT_WORD and event.length > 0:
                send(request_id, 2, struct.pack('<iii', event.text_position - 1, event.length, event.sample))
            elif event.type == EVENT_END:
                send(request_id, 3, struct.pack('<i', event.sample))
            i += 1
        out.flush()
        return 0

    callback = SynthCallback(on_audio)  # kept referenced for the worker's lifetime
    lib.espeak_SetSynthCallback(callback)
    send(0, 0, json.dumps({'sampleRate': sample_rate}).encode())
    out.flush()
    threading.Thread(target=read_commands, daemon=True).start()

    while True:
        request = requests.get()
        if request is None:
            return 0
        request_id = request['id']
        current['id'] = request_id
        if request_id not in cancelled:
            if lib.espeak_SetVoiceByName(request['voice'].encode()) != 0:
                send(request_id, 5, ('unknown voice ' + request['voice']).encode())
            else:
                lib.espeak_SetParameter(PARAM_RATE, int(request['rate']), 0)
                text = request['text'].encode('utf-8') + b'\0'
                lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        with cancel_lock:  # ids run in order: a late cancel of an older id is moot
            cancelled.difference_update([i for i in cancelled if i <= request_id])
        send(request_id, 4)
        out.flush()


if __name__ == '__main__':
    sys.exit(main())
