// Reading a request body: JSON only (415 otherwise), at most 64 KiB (413), valid UTF-8 and JSON (400).
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

export const BODY_LIMIT_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function expectJsonContentType(request: IncomingMessage): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'unsupported-media-type', `expected content-type application/json, got ${type === '' ? 'none' : type}`);
  }
}

/** The raw body bytes; refuses bodies over the limit (declared or streamed) with 413. */
export async function readBody(request: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<Uint8Array> {
  const tooLarge = (size: string) => new HttpError(413, 'body-too-large', `request body is ${size}, the limit is ${limit} bytes`);
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(`${declared} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(`over ${limit} bytes`);
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

export function parseJson(raw: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError(400, 'invalid-json', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'invalid-json', `request body is not valid JSON (${(error as Error).message})`);
  }
}
