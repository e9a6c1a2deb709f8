import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs it). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} not found: install Debian's chromium (apt-get install chromium) to run the browser tests`;
}

export interface LaunchOptions {
  /** WAV the fake microphone plays (looped). */
  fakeAudioFile?: string;
  /** Grant camera/microphone without a prompt (default true); false makes getUserMedia fail as denied. */
  grantMedia?: boolean;
}

export function launchChromium({ fakeAudioFile, grantMedia = true }: LaunchOptions = {}): Promise<Browser> {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--use-fake-device-for-media-stream',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
  if (grantMedia) args.push('--use-fake-ui-for-media-stream');
  if (fakeAudioFile) args.push(`--use-file-for-fake-audio-capture=${fakeAudioFile}`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}

export type WireEvent = Record<string, any> & { type: string };

/** Every JSON event the page sends and receives on its realtime socket, in order. */
export class SocketLog {
  readonly sent: WireEvent[] = [];
  readonly received: WireEvent[] = [];
  binaryFramesSent = 0;

  constructor(page: Page) {
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/v1/realtime')) return;
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string') this.sent.push(JSON.parse(f.payload));
        else this.binaryFramesSent += 1;
      });
      ws.on('framereceived', (f) => {
        if (typeof f.payload === 'string') this.received.push(JSON.parse(f.payload));
      });
    });
  }

  find(list: 'sent' | 'received', type: string, predicate: (e: WireEvent) => boolean = () => true): WireEvent | undefined {
    return this[list].find((e) => e.type === type && predicate(e));
  }
}

/** Polls `probe` until it returns something truthy; fails with `what` after timeoutMs. */
export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
