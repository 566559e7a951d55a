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
//
// aws-sigv4: AWS Signature Version 4 as AWS documents it ("Create a signed
// AWS API request"), for services other than S3 (whose paths are encoded
// once, not twice): the canonical request over method, path, sorted query,
// the host, content-type and x-amz-* headers and the body's SHA-256, signed
// with a key derived from the secret access key, date, region and service.
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import type { RequestSigner, RequestToSign } from './client.js';
import { headerName, secretRef } from './request-schema.js';

const hmacSha256 = z
  .strictObject({
    kind: z.literal('hmac-sha256').meta({
      description:
        'The signature scheme: hmac-sha256 (an HMAC over method, path, x-date and body hash, the form many in-house admin APIs use) or aws-sigv4 (AWS Signature Version 4).',
      examples: ['hmac-sha256'],
    }),
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
    header: headerName.default('Authorization').meta({
      description: 'The header that carries "HMAC <keyId>:<signature>".',
      examples: ['X-Signature'],
    }),
  })
  .describe(
    'Signs each management request: x-date: <UTC time, 20261130T001900Z> and <header>: HMAC <keyId>:<hex HMAC-SHA256 of METHOD\\npath?query\\nx-date\\nhex SHA-256 of the body>.',
  );

const awsSigV4 = z
  .strictObject({
    kind: z.literal('aws-sigv4').meta({
      description: 'The signature scheme: aws-sigv4, AWS Signature Version 4 (any AWS management API but S3).',
      examples: ['aws-sigv4'],
    }),
    accessKeyId: z
      .string()
      .min(1)
      .meta({ description: 'The AWS access key id, sent in the clear in the Credential of the signature.', examples: ['AKIDEXAMPLE'] }),
    secret: secretRef.meta({
      description: 'The AWS secret access key, by secret reference. It is never sent.',
      examples: ['${env:AWS_SECRET_ACCESS_KEY}'],
    }),
    region: z
      .string()
      .min(1)
      .meta({ description: 'The region the requests are signed for.', examples: ['us-east-1'] }),
    service: z
      .string()
      .min(1)
      .meta({ description: 'The service name in the signature scope.', examples: ['iam', 'apigateway'] }),
  })
  .describe('Signs each management request with AWS Signature Version 4 (x-amz-date and Authorization headers); not for S3.');

/** Every signer a profile may declare, by `kind`. */
export const signerSchema = z
  .discriminatedUnion('kind', [hmacSha256, awsSigV4])
  .describe('Signs every request of this section, for management APIs that authenticate requests by signature (see docs/lifecycle.md).');

export type SignerSpec = z.output<typeof signerSchema>;

export function createSigner(spec: SignerSpec, now: () => Date = () => new Date()): RequestSigner {
  switch (spec.kind) {
    case 'hmac-sha256':
      return (request) => hmacSign(spec, request, now());
    case 'aws-sigv4':
      return (request) => sigV4Sign(spec, request, now());
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

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 wants. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sigV4Sign(spec: Extract<SignerSpec, { kind: 'aws-sigv4' }>, request: RequestToSign, at: Date) {
  const amzDate = basicIsoTime(at);
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(request.body ?? '');
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': amzDate };
  // The headers a proxy on the way leaves alone: host, content-type and AWS's own.
  const signed = Object.keys(headers)
    .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-amz-'))
    .sort();
  // Every path segment encoded again (the URL holds it encoded once): the rule for every service but S3.
  const path = request.url.pathname.split('/').map(uriEncode).join('/') || '/';
  const query = [...request.url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    request.method.toUpperCase(),
    path,
    query,
    ...signed.map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}`),
    '',
    signed.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${spec.region}/${spec.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${spec.secret}`, day), spec.region), spec.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    headers: {
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${spec.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
    },
    secrets: [signature],
  };
}
