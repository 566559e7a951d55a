// Pieces of a report rendered in one order and written in another: the HTML
// report renders its check cards profile by profile, but shows failures
// first. A shelf keeps each piece until it is written: on disk for a run's
// report (a thousand profiles' cards are tens of megabytes), in memory for a
// report rendered as one string.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';

export interface TextShelf {
  /** Keeps `text`; returns its number (0, 1, … in the order put). */
  put(text: string): number;
  /** The text put as number `id`. */
  get(id: number): string;
}

export class MemoryShelf implements TextShelf {
  private readonly texts: string[] = [];

  put(text: string): number {
    return this.texts.push(text) - 1;
  }

  get(id: number): string {
    const text = this.texts[id];
    if (text === undefined) throw new Error(`nothing on the shelf as ${id}`);
    return text;
  }
}

/** A shelf in a file of its own, removed by close(). */
export class FileShelf implements TextShelf {
  private readonly fd: number;
  private end = 0;
  /** Where piece i is: offsets[2i] its byte offset, offsets[2i + 1] its length. */
  private readonly spans: number[] = [];

  constructor(readonly file: string) {
    // 'wx+': a fresh file of our own, never one planted there.
    this.fd = openSync(file, 'wx+', 0o600);
  }

  put(text: string): number {
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.end + written);
    this.spans.push(this.end, bytes.length);
    this.end += bytes.length;
    return this.spans.length / 2 - 1;
  }

  get(id: number): string {
    const offset = this.spans[2 * id];
    const length = this.spans[2 * id + 1];
    if (offset === undefined || length === undefined) throw new Error(`nothing on the shelf as ${id}`);
    const bytes = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd, bytes, read, length - read, offset + read);
      if (n === 0) throw new Error(`the shelf ${this.file} ends before piece ${id}`);
      read += n;
    }
    return bytes.toString('utf8');
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.file, { force: true });
  }
}
