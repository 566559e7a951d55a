// Compressed bodies keyprobe did not ask for are read as the server meant them,
// within the excerpt's cap, however much they would expand.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeContent, whyNotDecoded } from '../../src/http/content-encoding.js';

describe('decodeContent', () => {
  it('decodes a whole gzip body, and leaves identity and unknown encodings alone', () => {
    expect(decodeContent(gzipSync('{"error":"forbidden"}'), 'gzip', 1024)).toEqual({
      bytes: Buffer.from('{"error":"forbidden"}'),
      truncated: false,
    });
    expect(decodeContent(Buffer.from('plain'), 'identity', 1024)).toBeUndefined();
    expect(decodeContent(Buffer.from('plain'), 'compress', 1024)).toBeUndefined();
    expect(decodeContent(Buffer.from('not gzip at all'), 'gzip', 1024)).toBeUndefined();
  });

  it('undoes every coding listed, last applied first, in one field or several (RFC 9110 §8.4)', () => {
    const text = '{"error":"forbidden"}';
    const whole = { bytes: Buffer.from(text), truncated: false };
    expect(decodeContent(gzipSync(gzipSync(text)), 'gzip, gzip', 1024)).toEqual(whole);
    expect(decodeContent(brotliCompressSync(deflateSync(text)), 'deflate, br', 1024)).toEqual(whole);
    expect(decodeContent(gzipSync(gzipSync(text)), ['gzip', 'GZIP'], 1024)).toEqual(whole);
    expect(decodeContent(gzipSync(text), 'identity, gzip', 1024)).toEqual(whole);
    // One unknown coding, or more than anyone applies, and the body is left as it came.
    expect(decodeContent(gzipSync(text), 'gzip, compress', 1024)).toBeUndefined();
    expect(decodeContent(gzipSync(text), 'constructor', 1024)).toBeUndefined();
    let five: Buffer = Buffer.from(text);
    for (let i = 0; i < 5; i++) five = gzipSync(five);
    expect(decodeContent(five, 'gzip, gzip, gzip, gzip, gzip', 1024)).toBeUndefined();
  });

  it('keeps at most the cap of a bomb compressed twice, marked truncated', () => {
    const bomb = gzipSync(gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    const d = decodeContent(bomb, 'gzip, gzip', 65_536)!;
    expect(d).toMatchObject({ truncated: true });
    expect(d.bytes.length).toBeLessThanOrEqual(65_536);
    expect(d.bytes.length).toBeGreaterThan(0);
  });

  it('decodes an excerpt cut off mid-stream as far as it goes', () => {
    const text = 'x'.repeat(10) + Array.from({ length: 2000 }, (_, i) => i.toString(36)).join(' ');
    const cut = gzipSync(text).subarray(0, 400);
    // (The excerpt itself was cut, which the caller knows and says.)
    const d = decodeContent(cut, 'gzip', 100_000)!;
    expect(text.startsWith(d.bytes.toString('utf8'))).toBe(true);
    expect(d.bytes.length).toBeGreaterThan(100);
  });

  it('keeps at most the cap of a decompression bomb (64 MiB of zeros in 64 KiB), marked truncated', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const d = decodeContent(bomb, 'gzip', 65_536)!;
    expect(d).toMatchObject({ truncated: true });
    expect(d.bytes.length).toBeLessThanOrEqual(65_536);
    expect(d.bytes.length).toBeGreaterThan(0);
  });
});

describe('whyNotDecoded', () => {
  it('names the coding it cannot undo, too many codings, or bytes that do not decode', () => {
    expect(whyNotDecoded('zstd')).toMatch(
      /^Content-Encoding: zstd, a coding keyprobe cannot decode \(zstd\): Node\.js v\d+\.\d+\.\d+ has no zstd$/,
    );
    expect(whyNotDecoded(['gzip', 'X-Foo'])).toBe('Content-Encoding: gzip, x-foo, a coding keyprobe cannot decode (x-foo)');
    expect(whyNotDecoded('gzip, gzip, gzip, gzip, gzip')).toBe(
      'Content-Encoding: gzip, gzip, gzip, gzip, gzip, more codings than keyprobe undoes (4)',
    );
    expect(whyNotDecoded('gzip')).toBe('Content-Encoding: gzip, but the bytes do not decode as that');
  });
});
