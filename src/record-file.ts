// A private file that texts are appended to and read back from by position:
// the run's spool (src/runner/spool.ts) and the HTML report's shelf of cards
// (src/reporters/text-shelf.ts) keep what would not fit in memory this way.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** Where a text is in the file: its byte offset and length. */
export interface Span {
  readonly offset: number;
  readonly length: number;
}

/**
 * Appended texts gather in one buffer until this many bytes are there (or one
 * is read back), then go to the file in one write: a run appends every
 * finished check (18,000 in a thousand-profile run), and a write each was a
 * system call each.
 */
const FLUSH_BYTES = 256 * 1024;
/** A UTF-16 code unit is at most three bytes of UTF-8 (a surrogate pair, two units, is four). */
const MAX_UTF8_BYTES_PER_UNIT = 3;
/** Texts are read back through one buffer of at least this size, kept for the next read. */
const READ_BYTES = 64 * 1024;
/** A text longer than this is read through a buffer of its own, not kept (one huge record must not stay in memory). */
const READ_KEEP_MAX = 1024 * 1024;

export class RecordFile {
  private readonly fd: number;
  /** Where the next text goes, counting what is still waiting to be written. */
  private end = 0;
  /** How much of the file is written. */
  private written = 0;
  /**
   * Texts waiting to be written, encoded into one buffer that is reused, as
   * is the one texts are read back through: a record each way was a buffer
   * each way, and the reports read every record of a run several times.
   */
  private readonly waiting = Buffer.allocUnsafe(FLUSH_BYTES);
  private waitingBytes = 0;
  private reading = Buffer.allocUnsafe(READ_BYTES);

  constructor(readonly file: string) {
    // 'wx+': a fresh file of our own (never one planted there), read back later.
    this.fd = openSync(file, 'wx+', 0o600);
  }

  /** Appends `text`; returns where it is. */
  append(text: string): Span {
    let length: number;
    if (this.waitingBytes + text.length * MAX_UTF8_BYTES_PER_UNIT <= FLUSH_BYTES) {
      // It surely fits: encoded straight into the buffer and measured by the bytes written. Counting its UTF-8
      // length first read every text twice (a report's shelf puts tens of megabytes of text with a few
      // characters beyond ASCII, whose length takes a pass of its own to count: issue #15).
      length = this.waiting.write(text, this.waitingBytes, 'utf8');
      this.waitingBytes += length;
    } else {
      length = Buffer.byteLength(text, 'utf8');
      if (this.waitingBytes + length > FLUSH_BYTES) this.flush();
      if (length > FLUSH_BYTES) this.writeAll(Buffer.from(text, 'utf8'));
      else this.waitingBytes += this.waiting.write(text, this.waitingBytes, 'utf8');
    }
    const span = { offset: this.end, length };
    this.end += length;
    return span;
  }

  /** The text at `span`; `what` names it if the file ends before it. */
  read(span: Span, what: string): string {
    if (span.offset + span.length > this.written) this.flush();
    let bytes = this.reading;
    if (span.length > bytes.length) {
      bytes = Buffer.allocUnsafe(span.length);
      if (span.length <= READ_KEEP_MAX) this.reading = bytes;
    }
    let read = 0;
    while (read < span.length) {
      const n = readSync(this.fd, bytes, read, span.length - read, span.offset + read);
      if (n === 0) throw new Error(`${this.file} ends before ${what}`);
      read += n;
    }
    return bytes.toString('utf8', 0, span.length);
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }

  /** Writes the texts that are waiting. */
  private flush(): void {
    if (this.waitingBytes === 0) return;
    const bytes = this.waiting.subarray(0, this.waitingBytes);
    this.waitingBytes = 0;
    this.writeAll(bytes);
  }

  private writeAll(bytes: Buffer): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
    this.written += bytes.length;
  }
}
