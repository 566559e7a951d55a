// keyprobe never asks for a compressed answer, but a server may send one
// anyway (S3 and CloudFront serve an object stored with Content-Encoding: gzip
// whatever the client accepts; a hostile server does it on purpose). Judged
// and recorded as compressed bytes, a body that echoes the key or a stack trace
// reveals nothing to the checks and shows as noise in the report, so the kept
// excerpt is decoded first: at most `cap` bytes of output (a small compressed
// body may expand a thousandfold), from a possibly cut-off input.
import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

export interface Decoded {
  readonly bytes: Buffer;
  /** The decoded body went on past `cap`. */
  readonly truncated: boolean;
}

/** The body as the server meant it, or undefined when the encoding is unknown or the bytes do not decode. */
export function decodeContent(bytes: Buffer, encoding: string | string[] | undefined, cap: number): Decoded | undefined {
  const name = (Array.isArray(encoding) ? encoding.join(',') : (encoding ?? '')).trim().toLowerCase();
  const decode = DECODERS[name];
  if (!decode) return undefined;
  // A body that expands past the limit (a decompression bomb) is decoded from a shorter prefix instead.
  for (let n = bytes.length; n > 0; n = Math.floor(n / 2)) {
    try {
      const out = decode(bytes.subarray(0, n), cap * 4 + 1024);
      return out.length > cap || n < bytes.length ? { bytes: out.subarray(0, cap), truncated: true } : { bytes: out, truncated: false };
    } catch (err) {
      if (!(err instanceof RangeError)) return undefined;
    }
  }
  return undefined;
}

// A cut-off excerpt decodes as far as it goes (a sync flush rather than an "unexpected end" error).
const DECODERS: Readonly<Record<string, (bytes: Buffer, maxOutputLength: number) => Buffer>> = {
  gzip: (b, max) => gunzipSync(b, { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH }),
  'x-gzip': (b, max) => gunzipSync(b, { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH }),
  deflate: (b, max) => (isZlibHeader(b) ? inflateSync : inflateRawSync)(b, { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH }),
  br: (b, max) => brotliDecompressSync(b, { maxOutputLength: max, finishFlush: constants.BROTLI_OPERATION_FLUSH }),
};

/** RFC 9110 deflate is zlib-wrapped; some servers send raw deflate. */
function isZlibHeader(bytes: Buffer): boolean {
  return bytes.length >= 2 && (bytes[0]! & 0x0f) === 8 && (bytes[0]! * 256 + bytes[1]!) % 31 === 0;
}
