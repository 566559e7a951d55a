// A private file that texts are appended to and read back from by position:
// the run's spool (src/runner/spool.ts) and the HTML report's shelf of cards
// (src/reporters/text-shelf.ts) keep what would not fit in memory this way.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** Where a text is in the file: its byte offset and length. */
export interface Span {
  readonly offset: number;
  readonly length: number;
}

export class RecordFile {
  private readonly fd: number;
  private end = 0;

  constructor(readonly file: string) {
    // 'wx+': a fresh file of our own (never one planted there), read back later.
    this.fd = openSync(file, 'wx+', 0o600);
  }

  /** Appends `text`; returns where it is. */
  append(text: string): Span {
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.end + written);
    const span = { offset: this.end, length: bytes.length };
    this.end += bytes.length;
    return span;
  }

  /** The text at `span`; `what` names it if the file ends before it. */
  read(span: Span, what: string): string {
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
    closeSync(this.fd);
  }
}
