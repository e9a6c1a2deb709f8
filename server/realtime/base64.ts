import { ProtocolError } from '../../protocol/errors.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 decode: Buffer.from silently skips garbage, clients deserve an error. */
export function decodeBase64(text: string, param: string): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new ProtocolError('invalid_base64', `'${param}' is not valid base64.`, param);
  return Buffer.from(text, 'base64');
}
