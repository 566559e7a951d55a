// Small HTTP helpers shared by the API and the management API: JSON answers,
// bounded body reading, bearer-token parsing.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bodies above this are refused: the target is a fixture, not a file store. */
export const MAX_BODY_BYTES = 64 * 1024;

export type Headers = Record<string, string>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    // Answers may carry secrets (key creation, rotation): keep them out of caches.
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  res.writeHead(status, { 'Cache-Control': 'no-store', ...headers });
  res.end();
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Headers = {},
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { error: { code, message, ...extra } }, headers);
}

/** A JSON object (not an array, not null): what every body here must be. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A request body that cannot be used; answered with 400 and its code. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  constructor(
    readonly code: 'body_too_large' | 'invalid_json',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads the whole body as text, up to `maxBytes`. Beyond the cap the rest is
 * drained and dropped (so the client can still read our answer) and the
 * promise rejects with BadRequestError('body_too_large').
 */
export function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new BadRequestError('body_too_large', `the body is larger than ${maxBytes} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** Reads a JSON body; an empty body is `undefined`. */
export async function readJson(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(req, maxBytes);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('invalid_json', 'the body is not valid JSON');
  }
}

export type AuthorizationHeader =
  | { readonly kind: 'absent' }
  | { readonly kind: 'bearer'; readonly token: string }
  /** Present but not `Bearer <token>`: another scheme, or garbage. */
  | { readonly kind: 'other'; readonly raw: string };

export function parseAuthorization(req: IncomingMessage): AuthorizationHeader {
  const raw = req.headers.authorization;
  if (raw === undefined) return { kind: 'absent' };
  const match = /^Bearer(?:[ \t]+(.*))?$/i.exec(raw.trim());
  if (!match) return { kind: 'other', raw };
  return { kind: 'bearer', token: (match[1] ?? '').trim() };
}
