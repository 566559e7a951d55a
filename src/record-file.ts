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
 * Appended texts wait in memory until this many bytes have gathered (or one
 * is read back), then go to the file in one write: a run appends every
 * finished check (18,000 in a thousand-profile run), and a write each was a
 * system call each.
 */
const FLUSH_BYTES = 256 * 1024;

export class RecordFile {
  private readonly fd: number;
  /** Where the next text goes, counting what is still waiting to be written. */
  private end = 0;
  /** How much of the file is written. */
  private written = 0;
  private waiting: Buffer[] = [];
  private waitingBytes = 0;

  constructor(readonly file: string) {
    // 'wx+': a fresh file of our own (never one planted there), read back later.
    this.fd = openSync(file, 'wx+', 0o600);
  }

  /** Appends `text`; returns where it is. */
  append(text: string): Span {
    const bytes = Buffer.from(text, 'utf8');
    const span = { offset: this.end, length: bytes.length };
    this.end += bytes.length;
    this.waiting.push(bytes);
    this.waitingBytes += bytes.length;
    if (this.waitingBytes >= FLUSH_BYTES) this.flush();
    return span;
  }

  /** The text at `span`; `what` names it if the file ends before it. */
  read(span: Span, what: string): string {
    if (span.offset + span.length > this.written) this.flush();
    const bytes = Buffer.alloc(span.length);
    let read = 0;
    while (read < span.length) {
      const n = readSync(this.fd, bytes, read, span.length - read, span.offset + read);
      if (n === 0) throw new Error(`${this.file} ends before ${what}`);
      read += n;
    }
    return bytes.toString('utf8');
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
    const bytes = this.waiting.length === 1 ? this.waiting[0]! : Buffer.concat(this.waiting, this.waitingBytes);
    this.waiting = [];
    this.waitingBytes = 0;
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.written + done);
    this.written += bytes.length;
  }
}
