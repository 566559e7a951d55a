// The views the leak scanner's pre-filters skip work in, as they were before
// the pre-filters (src/leaks/views.ts at fe346f5, issue #15), kept as the
// reference test/leaks/view-prefilters.test.ts compares them with: a
// pre-filter may only skip text that gives nothing, so the views must give
// exactly what these give, on any text. Not used by keyprobe itself.
import { isUtf8 } from 'node:buffer';

const HEX_RUN = /[0-9a-fA-F]{16,}/g;

/** Decoded chunks are joined with this: no secret holds it, so no match spans two chunks. */
const CHUNK_SEPARATOR = '\u0000';

const SEXTET = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) SEXTET[c.charCodeAt(0)] = i;
SEXTET['-'.charCodeAt(0)] = 62;
SEXTET['_'.charCodeAt(0)] = 63;

/**
 * Whether the four base64 characters at `i` could encode three printable
 * ASCII bytes (0x20–0x7e): the first character then encodes 8–31, the second
 * a value whose low four bits are 2–7, the third one whose low two bits are
 * 0 or 1. Words and identifiers rarely look like that; an encoded secret
 * always does.
 */
function printableGroup(run: string, i: number): boolean {
  const a = SEXTET[run.charCodeAt(i)]!;
  const b = SEXTET[run.charCodeAt(i + 1)]! & 15;
  const c = SEXTET[run.charCodeAt(i + 2)]! & 3;
  return a >= 8 && a <= 31 && b >= 2 && b <= 7 && c <= 1;
}

/** Stretches of a run that can encode printable ASCII, from each of the four starting points, decoded. */
function decodeBase64Run(run: string, anyBytes: boolean, chunks: string[]): void {
  for (let start = 0; start < 4; start++) {
    if (anyBytes) {
      pushDecoded(Buffer.from(run.slice(start), 'base64'), chunks);
      continue;
    }
    // Three groups in a row (9 bytes) or more, with a group of margin either side for the bytes the secret shares with its neighbours.
    let from = -1;
    for (let i = start; ; i += 4) {
      const good = i + 4 <= run.length && printableGroup(run, i);
      if (good && from < 0) from = i;
      if (good) continue;
      if (from >= 0 && i - from >= 12) pushDecoded(Buffer.from(run.slice(Math.max(start, from - 4), i + 4), 'base64'), chunks);
      from = -1;
      if (i + 4 > run.length) break;
    }
  }
}

function pushDecoded(bytes: Buffer, chunks: string[]): void {
  chunks.push(bytes.toString('latin1'));
  if (!isAscii(bytes) && isUtf8(bytes)) chunks.push(bytes.toString('utf8'));
}

/**
 * The base64 view (base64Decoded) and, from the same runs, the UTF-16 text
 * (either byte order) some of them encode: their printable ASCII stretches, or
 * all of it with a non-ASCII secret to find. Only runs where 'A' (a zero
 * sextet) is frequent are read as UTF-16: every ASCII character there has a
 * zero byte, which puts two 'A's in every eight base64 characters.
 */
export function base64Views(text: string, anyBytes = false): { base64: string; utf16: string } {
  const chunks: string[] = [];
  const utf16: string[] = [];
  // A plain loop over the characters: a regex over megabytes of report makes a match object per word.
  let from = 0;
  let zeroSextets = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c < 128 && SEXTET[c]! >= 0) {
      if (c === 65) zeroSextets++;
      continue;
    }
    if (i - from >= 12) decodeBase64Run(text.slice(from, i), anyBytes, chunks);
    if (i - from >= 16 && zeroSextets * 5 >= i - from) decodeUtf16Run(text.slice(from, i), anyBytes, utf16);
    from = i + 1;
    zeroSextets = 0;
  }
  return { base64: chunks.join(CHUNK_SEPARATOR), utf16: utf16.join(CHUNK_SEPARATOR) };
}

/** A zero byte after the last: big-endian text reads as little-endian from byte 1, up to its last character. */
const ZERO_BYTE = Buffer.alloc(1);

function decodeUtf16Run(run: string, anyBytes: boolean, chunks: string[]): void {
  for (let start = 0; start < 4; start++) {
    const bytes = Buffer.concat([Buffer.from(run.slice(start), 'base64'), ZERO_BYTE]);
    for (const odd of [0, 1]) {
      const decoded = bytes.subarray(odd).toString('utf16le');
      if (anyBytes) chunks.push(decoded);
      else chunks.push(...(decoded.match(/[\x20-\x7e]{8,}/g) ?? []));
    }
  }
}

/**
 * Every run of hex digits, decoded from both possible starting points. With
 * only ASCII secrets, only stretches whose every byte starts with a nibble of
 * 2–7 (printable ASCII) are decoded.
 */
export function hexDecoded(text: string, anyBytes = false): string {
  const chunks: string[] = [];
  for (const [run] of text.matchAll(HEX_RUN)) {
    for (let start = 0; start < 2; start++) {
      if (anyBytes) {
        pushDecoded(Buffer.from(run.slice(start, start + ((run.length - start) & ~1)), 'hex'), chunks);
        continue;
      }
      let from = -1;
      for (let i = start; ; i += 2) {
        const c = i + 2 <= run.length ? run.charCodeAt(i) : 0;
        const good = c >= 0x32 && c <= 0x37;
        if (good && from < 0) from = i;
        if (good) continue;
        if (from >= 0 && i - from >= 16) pushDecoded(Buffer.from(run.slice(from, i), 'hex'), chunks);
        from = -1;
        if (i + 2 > run.length) break;
      }
    }
  }
  return chunks.join(CHUNK_SEPARATOR);
}

function isAscii(bytes: Buffer): boolean {
  for (const b of bytes) if (b > 0x7f) return false;
  return true;
}
