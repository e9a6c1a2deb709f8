// node-wav ships no types.
declare module 'node-wav' {
  export function decode(buffer: Buffer | Uint8Array): { sampleRate: number; channelData: Float32Array[] };
  export function encode(channelData: Float32Array[], options: { sampleRate: number; float?: boolean; bitDepth?: number }): Buffer;
  const wav: { decode: typeof decode; encode: typeof encode };
  export default wav;
}
