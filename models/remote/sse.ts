// Incremental Server-Sent Events parser (the subset engines use): `data:` lines
// joined by newlines, `event:` names, comments and unknown fields ignored, an
// empty line ends an event. Chunks may split lines anywhere; output arrays are
// reused between calls so the steady state allocates only the payload strings.

export class SseParser {
  /** Payloads of the events completed by the last feed(), in order. */
  readonly data: string[] = [];
  /** Their `event:` names (null when none was given). */
  readonly events: (string | null)[] = [];
  #pending = '';
  #eventData: string | null = null;
  #eventName: string | null = null;

  /** Feeds decoded text; returns how many events completed (see `data` / `events`). */
  feed(chunk: string): number {
    this.data.length = 0;
    this.events.length = 0;
    const text = this.#pending === '' ? chunk : this.#pending + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // strip \r of \r\n
      this.#line(text, start, end);
      start = nl + 1;
    }
    this.#pending = start >= text.length ? '' : text.slice(start);
    return this.data.length;
  }

  /** Text held back because its line is not complete yet. */
  get pending(): string {
    return this.#pending;
  }

  #line(text: string, start: number, end: number): void {
    if (start === end) {
      if (this.#eventData !== null) {
        this.data.push(this.#eventData);
        this.events.push(this.#eventName);
      }
      this.#eventData = null;
      this.#eventName = null;
      return;
    }
    if (text.charCodeAt(start) === 58) return; // ':' comment / keep-alive
    if (text.startsWith('data:', start)) {
      const from = text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5;
      const value = text.slice(from, end);
      this.#eventData = this.#eventData === null ? value : `${this.#eventData}\n${value}`;
    } else if (text.startsWith('event:', start)) {
      const from = text.charCodeAt(start + 6) === 32 ? start + 7 : start + 6;
      this.#eventName = text.slice(from, end);
    }
  }
}
