// keyprobe never asks for a compressed answer, but a server may send one
// anyway (S3 and CloudFront serve an object stored with Content-Encoding: gzip
// whatever the client accepts; a hostile server does it on purpose). Judged
// and recorded as compressed bytes, a body that echoes the key or a stack trace
// reveals nothing to the checks and shows as noise in the report, so the kept
// excerpt is decoded first: at most `cap` bytes of output (a small compressed
// body may expand a thousandfold), from a possibly cut-off input.
//
// Content-Encoding lists every coding applied, in the order applied, in one
// field or several (RFC 9110 §8.4): `gzip, gzip` is gzip twice. A client
// (curl --compressed, a browser) undoes them all, so a hostile server that
// compresses a refusal twice must not hide the key it echoes from the checks.
import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

export interface Decoded {
  readonly bytes: Buffer;
  /** The decoded body went on past `cap`. */
  readonly truncated: boolean;
}

/** Codings past this many are not undone (curl stops at 5): a body that needs more is left as it came. */
const MAX_CODINGS = 4;

/** The body as the server meant it, or undefined when a coding is unknown or the bytes do not decode. */
export function decodeContent(bytes: Buffer, encoding: string | string[] | undefined, cap: number): Decoded | undefined {
  const codings = codingsApplied(encoding);
  if (codings.length === 0 || codings.length > MAX_CODINGS) return undefined;
  // The last coding applied is undone first.
  const undo = codings.map((name) => (Object.hasOwn(DECODERS, name) ? DECODERS[name] : undefined)).reverse();
  if (undo.some((decode) => decode === undefined)) return undefined;
  let out = bytes;
  let truncated = false;
  for (const decode of undo) {
    const layer = undoOne(decode!, out, cap * 4 + 1024);
    if (!layer) return undefined;
    out = layer.bytes;
    truncated ||= layer.truncated;
  }
  return out.length > cap || truncated ? { bytes: out.subarray(0, cap), truncated: true } : { bytes: out, truncated: false };
}

/**
 * Why decodeContent gave up on a body, in words for a message ("Content-Encoding:
 * zstd, a coding keyprobe cannot decode: Node.js v20.20.0 has no zstd"). Such
 * a body stays as it came: its bytes are neither judged as text nor shown.
 * keyprobe sends no Accept-Encoding, which RFC 9110 §12.5.3 reads as "any
 * coding is acceptable", so a server may well send one keyprobe cannot undo.
 */
export function whyNotDecoded(encoding: string | string[] | undefined): string {
  const codings = codingsApplied(encoding);
  const field = `Content-Encoding: ${codings.join(', ')}`;
  if (codings.length > MAX_CODINGS) return `${field}, more codings than keyprobe undoes (${MAX_CODINGS})`;
  const unknown = [...new Set(codings.filter((name) => !Object.hasOwn(DECODERS, name)))];
  if (unknown.length > 0) {
    // zstd: node:zlib has it only from Node.js 22.15 / 23.8, and keyprobe adds no dependency for it.
    const zstd = unknown.includes('zstd') ? `: Node.js ${process.version} has no zstd` : '';
    return `${field}, ${unknown.length === 1 ? 'a coding' : 'codings'} keyprobe cannot decode (${unknown.join(', ')})${zstd}`;
  }
  return `${field}, but the bytes do not decode as that`;
}

/** One coding undone, to at most `max` bytes; a body that expands past them (a decompression bomb) is decoded from a shorter prefix instead. */
function undoOne(decode: Decoder, bytes: Buffer, max: number): Decoded | undefined {
  for (let n = bytes.length; n > 0; n = Math.floor(n / 2)) {
    try {
      return { bytes: decode(bytes.subarray(0, n), max), truncated: n < bytes.length };
    } catch (err) {
      if (!(err instanceof RangeError)) return undefined;
    }
  }
  return undefined;
}

/** The codings named, lower-case, in the order applied; `identity` (no coding) left out. */
function codingsApplied(encoding: string | string[] | undefined): string[] {
  const text = Array.isArray(encoding) ? encoding.join(',') : (encoding ?? '');
  return text
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

type Decoder = (bytes: Buffer, maxOutputLength: number) => Buffer;

// A cut-off excerpt decodes as far as it goes (a sync flush rather than an "unexpected end" error).
const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip: (b, max) => gunzipSync(b, { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH }),
  'x-gzip': (b, max) => gunzipSync(b, { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH }),
  deflate: (b, max) => (isZlibHeader(b) ? inflateSync : inflateRawSync)(b, { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH }),
  br: (b, max) => brotliDecompressSync(b, { maxOutputLength: max, finishFlush: constants.BROTLI_OPERATION_FLUSH }),
};

/** RFC 9110 deflate is zlib-wrapped; some servers send raw deflate. */
function isZlibHeader(bytes: Buffer): boolean {
  return bytes.length >= 2 && (bytes[0]! & 0x0f) === 8 && (bytes[0]! * 256 + bytes[1]!) % 31 === 0;
}
