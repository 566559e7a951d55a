// Request signers: presets for management APIs that authenticate each request
// by a signature over it rather than by a bearer token, so such an API is an
// `http` lifecycle section with a `signer`, not an adapter of its own. A
// signer kind is a schema (its profile fields) and a function from a request
// to the headers that sign it (client.ts applies it last, before sending).
//
// hmac-sha256, the scheme keyprobe's own tests verify (and many in-house
// admin APIs use in some form):
//
//   x-date:        20261130T001900Z                     (UTC, ISO 8601 basic)
//   authorization: HMAC <keyId>:<hex HMAC-SHA256(secret, string to sign)>
//   string to sign = METHOD "\n" path-and-query "\n" x-date "\n" hex(SHA-256(body, or "" without one))
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import type { RequestSigner, RequestToSign } from './client.js';
import { headerName, secretRef } from './request-schema.js';

const hmacSha256 = z
  .strictObject({
    kind: z.literal('hmac-sha256'),
    keyId: z
      .string()
      .min(1)
      .meta({
        description: 'The id of the signing key, sent in the clear as <keyId> in the signature header.',
        examples: ['keyprobe-admin'],
      }),
    secret: secretRef.meta({
      description: 'The signing key, by secret reference. It is never sent; each request carries a signature made with it.',
      examples: ['${env:ADMIN_SIGNING_KEY}'],
    }),
    header: headerName.default('Authorization').describe('The header that carries "HMAC <keyId>:<signature>" (default Authorization).'),
  })
  .describe(
    'Signs each management request: x-date: <UTC time, 20261130T001900Z> and <header>: HMAC <keyId>:<hex HMAC-SHA256 of METHOD\\npath?query\\nx-date\\nhex SHA-256 of the body>.',
  );

/** Every signer a profile may declare, by `kind`. */
export const signerSchema = z
  .discriminatedUnion('kind', [hmacSha256])
  .describe('Signs every request of this section, for management APIs that authenticate requests by signature (see docs/lifecycle.md).');

export type SignerSpec = z.output<typeof signerSchema>;

export function createSigner(spec: SignerSpec, now: () => Date = () => new Date()): RequestSigner {
  switch (spec.kind) {
    case 'hmac-sha256':
      return (request) => hmacSign(spec, request, now());
  }
}

/** 2026-11-30T00:19:00.123Z → 20261130T001900Z */
export function basicIsoTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** The text an hmac-sha256 signature is over (exported for the verifying side of the tests). */
export function hmacStringToSign(method: string, pathAndQuery: string, xDate: string, body: string | undefined): string {
  return [
    method.toUpperCase(),
    pathAndQuery,
    xDate,
    createHash('sha256')
      .update(body ?? '')
      .digest('hex'),
  ].join('\n');
}

function hmacSign(spec: Extract<SignerSpec, { kind: 'hmac-sha256' }>, request: RequestToSign, at: Date) {
  const xDate = basicIsoTime(at);
  const text = hmacStringToSign(request.method, request.url.pathname + request.url.search, xDate, request.body);
  const signature = createHmac('sha256', spec.secret).update(text).digest('hex');
  return { headers: { 'x-date': xDate, [spec.header]: `HMAC ${spec.keyId}:${signature}` }, secrets: [signature] };
}
