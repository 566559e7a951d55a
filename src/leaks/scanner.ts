// The leak scanner (DESIGN safety invariant 9): independent of the redactor
// and stronger than it. The redactor (secrets.ts) lists the forms a secret can
// take and replaces them; the scanner instead decodes the text it searches
// (views.ts) and looks, in every view, for any run of a secret's characters
// long enough to matter, case-folded, forwards and reversed, and for the
// secret's sha256 hex. What one misses the other is not built to miss the
// same way.
//
// It is used for the post-run scan of every file and everything printed, and
// by the checks that judge whether an answer "reveals the key", so a check and
// the scan can never disagree about what counts as a leak.
import { type FileHandle, open } from 'node:fs/promises';
import { fingerprint, sha256Hex } from '../fingerprint.js';
import { leakFragmentLength, UNSEARCHABLE_BELOW } from '../secret-policy.js';
import {
  base64Decoded,
  base64Views,
  byteEscapesDecoded,
  decodeLayers,
  hexDecoded,
  longGroupsJoined,
  SHORTEST_COMPACTED,
  separatorsRemoved,
  softLineBreaksJoined,
  withoutSeparators,
} from './views.js';
import { WindowIndex, type WindowIndexSnapshot } from './window-index.js';

/** One secret found in one text, named by fingerprint and the form it had; never the secret. */
export interface LeakFinding {
  readonly fingerprint: string;
  /** What the secret is, e.g. "key", "canary" (as registered). */
  readonly label: string;
  /** How it showed up, e.g. "as is", "base64", "decoded from escapes…, reversed, 31 of 40 characters". */
  readonly form: string;
  /** The whole secret (or its sha256), not just a part of it. */
  readonly whole: boolean;
  /** Where, in the view it was found in (for telling overlapping findings apart); not positions in the text. */
  readonly view: number;
  readonly start: number;
  readonly end: number;
}

/** Candidate matches are looked up by windows of this many characters: the shortest fragment that can count (a power of two: the hot loop's ring of characters is indexed by a mask). */
const WINDOW = 8;
const BASE = 0x01000193;
/** BASE to the power WINDOW: what a character WINDOW places back weighs in the hash once the next one is added. */
const LEAVING_POWER = (() => {
  let p = 1;
  for (let i = 0; i < WINDOW; i++) p = Math.imul(p, BASE);
  return p;
})();
/** Windows are indexed at offsets below this in a pattern (a secret of a million characters is searched by its first million). */
const OFFSETS = 1 << 20;
const BLOOM_BITS = 24;
/** Files are searched this many characters at a time, each chunk overlapping the last by CHUNK_OVERLAP. */
const CHUNK_CHARS = 1 << 19;
const CHUNK_OVERLAP = 16 * 1024;
/** Chunk c starts at c × CHUNK_STEP. */
const CHUNK_STEP = CHUNK_CHARS - CHUNK_OVERLAP;

/** How many chunks scanFile searches in a file of `size` bytes read as Latin-1 (one, even when empty). */
export function fileChunkCount(size: number): number {
  // Chunk c is cut at c × CHUNK_STEP; the last is the first that reaches the end.
  return size <= CHUNK_CHARS ? 1 : Math.ceil((size - CHUNK_CHARS) / CHUNK_STEP) + 1;
}

/**
 * One file's findings from its chunks' (in file order). A secret cut by a
 * chunk's end is also found whole in the next chunk: the part is not a
 * second finding. Each secret and form is listed once, where it was first
 * found, with what its last chunk found of it.
 */
export function mergeChunkFindings(perChunk: readonly (readonly LeakFinding[])[]): LeakFinding[] {
  if (perChunk.length === 1) return [...perChunk[0]!];
  const found = new Map<string, LeakFinding>();
  for (const chunk of perChunk) for (const f of chunk) found.set(`${f.fingerprint}\n${f.form}`, f);
  const all = [...found.values()];
  const whole = new Set(all.filter((f) => f.whole).map((f) => `${f.fingerprint}\n${f.form}`));
  return all.filter((f) => f.whole || !whole.has(`${f.fingerprint}\n${f.form.replace(/, \d+ of \d+ characters$/, '')}`));
}

/** `compacted`: the secret without its separators (`_`, `-`…), looked for only where the text spelled something out (SPELLED_OUT_VIEW). */
type Kind = 'secret' | 'reversed' | 'rot13' | 'compacted' | 'sha256';

interface Pattern {
  /** Case-folded (ASCII) text. */
  readonly folded: string;
  /** As registered (or reversed), to tell a case change. */
  readonly exact: string;
  readonly secret: number;
  readonly kind: Kind;
  /** Only the whole pattern counts (a hash); otherwise any run of at least `min` characters. */
  readonly min: number;
}

interface Known {
  readonly secret: string;
  readonly fingerprint: string;
  readonly label: string;
  readonly length: number;
}

/** A secret as registered with the scanner: what a scanner on another thread is built from. */
export interface ScannedSecret {
  readonly secret: string;
  readonly label: string;
}

/**
 * What a scanner on another thread is made from (LeakScanner.shared): the
 * secrets in the order they were added, and the window index and its bloom
 * filter as they were then, in shared memory rather than built again (issue
 * #15: the leak scan's worker thread held a second index, ~20 MB at a
 * thousand profiles). The scanner that shared them may add secrets later:
 * the index only appends, and its bloom filter only gains bits (a reader
 * that meets one finds no entry behind it), so what the other thread reads
 * stays what it was.
 */
export interface SharedScanner {
  readonly secrets: readonly ScannedSecret[];
  readonly index: WindowIndexSnapshot;
  readonly bloom: Uint32Array;
}

const VIEW_LABELS = [
  'as is',
  'decoded from escapes or encodings (JSON, HTML, XML, URL), or split across lines',
  'decoded from URL form encoding',
  'base64',
  'hex',
  'base64 of base64',
  'base64 of UTF-16 text',
  'spelled out with separators (spaces, dashes, dots, colons, underscores, commas)',
  'decoded from octal escapes or quoted-printable',
  'in groups of 5 to 11 characters joined by one separator',
  'joined at quoted-printable soft line breaks',
  'joined at quoted-printable soft line breaks and decoded',
] as const;
/** Views that hold the text's own characters again (decoded, or joined across line breaks): a secret found whole as is is not found there a second time. */
const REREADS_THE_TEXT = new Set([1, 2, VIEW_LABELS.indexOf('joined at quoted-printable soft line breaks')]);
const SPELLED_OUT_VIEW = VIEW_LABELS.indexOf('spelled out with separators (spaces, dashes, dots, colons, underscores, commas)');

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function foldText(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export class LeakScanner {
  private readonly known: Known[] = [];
  private readonly values = new Set<string>();
  private readonly patterns: Pattern[] = [];
  /** Patterns shorter than a window, found by a plain search instead. */
  private readonly shortPatterns: number[] = [];
  /** The hash of indexed windows → the pattern and offset they are at. */
  private buckets = new WindowIndex();
  /** One bit per BLOOM_BITS-bit hash prefix of an indexed window; in shared memory, for a worker thread to read (shared). */
  private bloom: Uint32Array = new Uint32Array(new SharedArrayBuffer(1 << (BLOOM_BITS - 3)));
  /** Made from another scanner's shared index (fromShared): its patterns are listed, not indexed again, and it learns no new secret. */
  private madeFromShared = false;
  private anySpace = false;
  private anyNonAscii = false;

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  get size(): number {
    return this.known.length;
  }

  /**
   * The secrets and their labels, in the order they were added: a scanner
   * built from them (on a worker thread) finds exactly what this one finds.
   * Handed over in memory only, never written anywhere.
   */
  secrets(): ScannedSecret[] {
    return this.known.map(({ secret, label }) => ({ secret, label }));
  }

  /** What a scanner on another thread is made from (fromShared), finding exactly what this one finds now. Handed over in memory only. */
  shared(): SharedScanner {
    return { secrets: this.secrets(), index: this.buckets.snapshot(), bloom: this.bloom };
  }

  /** A scanner that finds what the scanner that shared this found when it did: its patterns listed again, its index read where it is. */
  static fromShared(shared: SharedScanner): LeakScanner {
    const scanner = new LeakScanner();
    scanner.madeFromShared = true;
    for (const { secret, label } of shared.secrets) scanner.learn(secret, label);
    scanner.buckets = WindowIndex.fromSnapshot(shared.index);
    scanner.bloom = shared.bloom;
    return scanner;
  }

  /** Whether a non-ASCII secret is searched: only then may a file need a second, UTF-8 reading (scanFile). */
  get needsUtf8Reading(): boolean {
    return this.anyNonAscii;
  }

  /** Starts looking for a secret (and its sha256 hex). Secrets shorter than 4 characters cannot be told from text and are not searched. */
  add(secret: string, label = 'secret'): void {
    if (this.madeFromShared) throw new Error("a scanner made from another thread's cannot learn a secret");
    this.learn(secret, label);
  }

  private learn(secret: string, label: string): void {
    if (!secret || this.values.has(secret) || secret.length < UNSEARCHABLE_BELOW) return;
    this.values.add(secret);
    const index = this.known.length;
    this.known.push({ secret, fingerprint: fingerprint(secret), label, length: secret.length });
    if (/ /.test(secret)) this.anySpace = true;
    if (/[^\x00-\x7f]/.test(secret)) this.anyNonAscii = true;
    const min = leakFragmentLength(secret.length);
    const reversed = [...secret].reverse().join('');
    this.addPattern({ folded: foldText(secret), exact: secret, secret: index, kind: 'secret', min });
    if (reversed !== secret) this.addPattern({ folded: foldText(reversed), exact: reversed, secret: index, kind: 'reversed', min });
    // A rot13 echo is one more pattern (like the reversed one), not one more view of every text.
    const rotated = rot13(secret);
    if (rotated !== secret) this.addPattern({ folded: foldText(rotated), exact: rotated, secret: index, kind: 'rot13', min });
    const compacted = withoutSeparators(secret);
    if (compacted !== secret && compacted.length >= SHORTEST_COMPACTED)
      this.addPattern({
        folded: foldText(compacted),
        exact: compacted,
        secret: index,
        kind: 'compacted',
        min: leakFragmentLength(compacted.length),
      });
    const hash = sha256Hex(secret);
    this.addPattern({ folded: hash, exact: hash, secret: index, kind: 'sha256', min: hash.length });
  }

  private addPattern(p: Pattern): void {
    const id = this.patterns.length;
    this.patterns.push(p);
    if (p.folded.length < WINDOW) {
      this.shortPatterns.push(id);
      return;
    }
    if (this.madeFromShared) return;
    // Every run of `min` characters holds a window starting at one of
    // step-1, 2·step-1, … (step = min - WINDOW + 1): those windows are enough
    // to find it. Not starting at 0 keeps keys that share a prefix (kp_prod_)
    // out of each other's windows; a pattern that counts only whole (a hash)
    // is looked up by its last window.
    const whole = p.min >= p.folded.length;
    const step = p.min - WINDOW + 1;
    const first = whole ? p.folded.length - WINDOW : step - 1;
    const last = Math.min(p.folded.length - WINDOW, OFFSETS - 1);
    for (let offset = first; offset <= last; offset += whole ? OFFSETS : step) {
      let h = 0;
      for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, BASE) + p.folded.charCodeAt(offset + k)) | 0;
      this.buckets.add(h, id, offset);
      const bit = h >>> (32 - BLOOM_BITS);
      this.bloom[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  /** True when the text holds any secret in any form. */
  leaks(text: string): boolean {
    return this.search(text, true).length > 0;
  }

  /** Every secret the text holds, once per secret, form and view. */
  find(text: string): LeakFinding[] {
    return this.search(text, false);
  }

  /**
   * Reads a file and finds the secrets in it, a chunk at a time: never the
   * whole file at once (the reports of a 1,000-profile run are hundreds of
   * megabytes). Read byte by byte as Latin-1, every ASCII secret still reads
   * as itself in any file, text or binary (a PDF); only a non-ASCII secret
   * needs the UTF-8 reading too, of a file that is UTF-8 throughout.
   */
  async scanFile(path: string): Promise<LeakFinding[]> {
    const found = await this.findInChunks(filePieces(path, 'latin1'));
    if (!this.anyNonAscii || found.length > 0) return found;
    return (await this.scanFileAsUtf8(path)) ?? found;
  }

  /** scanFile's second reading, for a non-ASCII secret: undefined when the file is not UTF-8 throughout. */
  async scanFileAsUtf8(path: string): Promise<LeakFinding[] | undefined> {
    try {
      return await this.findInChunks(filePieces(path, 'utf8'));
    } catch (err) {
      if (err instanceof NotUtf8) return undefined;
      throw err;
    }
  }

  /**
   * The findings of chunks `first` to `end` (exclusive) of a file of `size`
   * bytes read as Latin-1, one list per chunk: the chunks are those scanFile
   * searches (fileChunkCount), so joining every chunk's list with
   * mergeChunkFindings gives what scanFile's Latin-1 reading gives. Lets a
   * large file be searched in parts, on several threads at once.
   */
  async scanFileChunks(path: string, size: number, first: number, end: number): Promise<LeakFinding[][]> {
    const file = await open(path, 'r');
    try {
      // The file must still be the one that was measured, or the chunks would not be scanFile's.
      if ((await file.stat()).size !== size) throw new Error(`${path} changed while it was being scanned`);
      const block = Buffer.allocUnsafe(Math.min(CHUNK_CHARS, size));
      const perChunk: LeakFinding[][] = [];
      for (let c = first; c < end; c++) {
        const from = c * CHUNK_STEP;
        const length = Math.min(CHUNK_CHARS, size - from);
        await readFully(file, block, length, from);
        perChunk.push(this.find(block.toString('latin1', 0, length)));
      }
      return perChunk;
    } finally {
      await file.close();
    }
  }

  /**
   * A large text is searched in overlapping chunks, so the decoded views held
   * at once stay small. The overlap is far longer than any run of a secret
   * that counts, in any encoding (12 characters as doubly escaped entities are
   * < 200). The chunks are those of the whole text cut at 0, CHUNK_CHARS −
   * CHUNK_OVERLAP, …, however the pieces arrive; a text of one chunk is searched as is.
   */
  private async findInChunks(pieces: AsyncIterable<string>): Promise<LeakFinding[]> {
    const perChunk: LeakFinding[][] = [];
    let rest = '';
    for await (const piece of pieces) {
      rest += piece;
      // A chunk with text after it is not the last: search it and keep its overlap for the next.
      while (rest.length > CHUNK_CHARS) {
        perChunk.push(this.find(rest.slice(0, CHUNK_CHARS)));
        rest = rest.slice(CHUNK_STEP);
      }
    }
    perChunk.push(this.find(rest));
    return mergeChunkFindings(perChunk);
  }

  private search(text: string, firstOnly: boolean): LeakFinding[] {
    const out: LeakFinding[] = [];
    if (this.known.length === 0 || text.length === 0) return out;
    const seen = new Set<string>();
    // Each view is made only when the ones before it found nothing to stop at.
    let decoded: string | undefined;
    const decodedView = () => (decoded ??= decodeLayers(text));
    let base64: { base64: string; utf16: string } | undefined;
    const base64View = () => (base64 ??= base64Views(decodedView(), this.anyNonAscii));
    // decodeLayers joins lines but leaves a soft line break's `=`: the runs it cut, joined.
    let softJoined: string | undefined;
    const softJoinedView = () => (softJoined ??= softLineBreaksJoined(text));
    const views: (() => string)[] = [
      () => text,
      () => (decodedView() === text ? '' : decodedView()),
      () => {
        const form = this.anySpace && text.includes('+') ? decodeLayers(text, true) : '';
        return form === decodedView() ? '' : form;
      },
      // Base64 and hex runs are decoded from the decoded view: escapes undone, line breaks (MIME, PEM) removed.
      () => base64View().base64,
      () => hexDecoded(decodedView(), this.anyNonAscii),
      // Small views made only of candidate runs: each layer or spelling the redactor might miss, at little cost.
      () => base64Decoded(base64View().base64, this.anyNonAscii),
      () => base64View().utf16,
      () => separatorsRemoved(decodedView()),
      () => byteEscapesDecoded(decodedView()),
      // Added after a red-team review's leftovers (2026-11-30): longer groups, and quoted-printable wrapped at 76 columns.
      () => longGroupsJoined(decodedView()),
      () => softJoinedView(),
      () => (softJoinedView() ? byteEscapesDecoded(softJoinedView()) : ''),
    ];
    for (let v = 0; v < views.length; v++) {
      const view = views[v]!();
      if (view) this.searchView(view, v, out, seen, firstOnly);
      if (firstOnly && out.length > 0) break;
    }
    return out;
  }

  /** A secret without its separators is only a finding where the text spelled something out; elsewhere the secret's own pattern finds it. */
  private countsIn(pattern: number, view: number): boolean {
    return this.patterns[pattern]!.kind !== 'compacted' || view === SPELLED_OUT_VIEW;
  }

  private searchView(view: string, v: number, out: LeakFinding[], seen: Set<string>, firstOnly: boolean): void {
    const n = view.length;
    // Where the last match of each pattern ended, so one occurrence is not found again window by window.
    const matchedUntil = new Map<number, number>();
    const record = (id: number, start: number, end: number, from: number) => {
      const p = this.patterns[id]!;
      const known = this.known[p.secret]!;
      const length = end - start;
      const whole = length === p.folded.length;
      const caseChanged = view.slice(start, end) !== p.exact.slice(from, from + length);
      const form = [
        p.kind === 'sha256' ? `its sha256 hex${v === 0 ? '' : `, ${VIEW_LABELS[v]}`}` : VIEW_LABELS[v],
        ...(p.kind === 'reversed' || p.kind === 'rot13' ? [p.kind] : []),
        ...(caseChanged && p.kind !== 'sha256' ? ['in other letter case'] : []),
        ...(whole || p.kind === 'sha256' ? [] : [`${length} of ${known.length} characters`]),
      ].join(', ');
      const key = `${p.secret}\n${form}`;
      // The decoded views re-read the same text: a secret already found whole as is need not be found there again.
      if (seen.has(key) || (REREADS_THE_TEXT.has(v) && seen.has(`${p.secret}\n${p.kind}\nwhole as is`))) return;
      seen.add(key);
      if (v === 0 && whole) seen.add(`${p.secret}\n${p.kind}\nwhole as is`);
      out.push({ fingerprint: known.fingerprint, label: known.label, form, whole, view: v, start, end });
    };

    if (this.shortPatterns.length > 0) {
      const folded = foldText(view);
      for (const id of this.shortPatterns) {
        if (!this.countsIn(id, v)) continue;
        const at = folded.indexOf(this.patterns[id]!.folded);
        if (at >= 0) record(id, at, at + this.patterns[id]!.folded.length, 0);
        if (firstOnly && out.length > 0) return;
      }
    }
    if (n < WINDOW) return;

    // The hot loop: a rolling hash of the last WINDOW case-folded characters,
    // a bit test, and only on a hit a map lookup. Fields in locals for speed.
    // Each character is read and folded once: the last WINDOW folded ones
    // wait in a ring for the step that drops them from the hash (issue #15:
    // folding each twice, as it entered and as it left, made the loop up to a
    // third slower: bench/cpu-at-scale.md, session 13).
    const bloom = this.bloom;
    const buckets = this.buckets;
    const ring = new Int32Array(WINDOW);
    let h = 0;
    for (let i = 0; i < n; i++) {
      const c = fold(view.charCodeAt(i));
      // The character WINDOW places back leaves as this one enters (0 while the first window fills: it adds nothing).
      const leaving = ring[i & (WINDOW - 1)]!;
      ring[i & (WINDOW - 1)] = c;
      h = (Math.imul(h, BASE) + c - Math.imul(leaving, LEAVING_POWER)) | 0;
      if (i < WINDOW - 1) continue;
      const bit = h >>> (32 - BLOOM_BITS);
      if ((bloom[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
      const start = i - WINDOW + 1;
      for (let found = buckets.first(h); found >= 0; found = buckets.next(found)) {
        const id = buckets.item(found);
        if ((matchedUntil.get(id) ?? -1) > start || !this.countsIn(id, v)) continue;
        const offset = buckets.offset(found);
        const p = this.patterns[id]!;
        const text = p.folded;
        let k = 0;
        while (k < WINDOW && fold(view.charCodeAt(start + k)) === text.charCodeAt(offset + k)) k++;
        if (k < WINDOW) continue;
        // Grow the match both ways as far as the text keeps following the pattern.
        let a = start;
        let b = offset;
        while (a > 0 && b > 0 && fold(view.charCodeAt(a - 1)) === text.charCodeAt(b - 1)) {
          a--;
          b--;
        }
        let e = start + WINDOW;
        let f = offset + WINDOW;
        while (e < n && f < text.length && fold(view.charCodeAt(e)) === text.charCodeAt(f)) {
          e++;
          f++;
        }
        const counts = p.min >= text.length ? b === 0 && f === text.length : e - a >= p.min;
        if (!counts) continue;
        matchedUntil.set(id, e);
        record(id, a, e, b);
        if (firstOnly) return;
      }
    }
  }
}

/** Bytes read from a file at a time. */
const READ_BLOCK = 64 * 1024;

/** Reads `length` bytes at `position` into the start of `into`. */
async function readFully(file: FileHandle, into: Buffer, length: number, position: number): Promise<void> {
  let read = 0;
  while (read < length) {
    const { bytesRead } = await file.read(into, read, length - read, position + read);
    if (bytesRead === 0) throw new Error('the file ended before its measured size');
    read += bytesRead;
  }
}

/** A file that is not UTF-8 throughout, found while reading it as UTF-8. */
class NotUtf8 extends Error {}

/**
 * A file's text, a block at a time: as Latin-1 (one character per byte), or
 * as UTF-8, where a character cut by a block's end is completed by the next
 * block and a byte sequence that is not UTF-8 throws NotUtf8.
 */
async function* filePieces(path: string, encoding: 'latin1' | 'utf8'): AsyncGenerator<string> {
  const file = await open(path, 'r');
  try {
    // ignoreBOM: a byte-order mark stays in the text, as Buffer's UTF-8 decoding keeps it.
    const decoder = encoding === 'utf8' ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) : undefined;
    const decode = (bytes?: Buffer) => {
      try {
        return decoder!.decode(bytes, { stream: bytes !== undefined });
      } catch {
        throw new NotUtf8(`${path} is not UTF-8`);
      }
    };
    const block = Buffer.allocUnsafe(READ_BLOCK);
    for (;;) {
      const { bytesRead } = await file.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      const bytes = block.subarray(0, bytesRead);
      yield decoder ? decode(bytes) : bytes.toString('latin1');
    }
    if (decoder) yield decode();
  } finally {
    await file.close();
  }
}
