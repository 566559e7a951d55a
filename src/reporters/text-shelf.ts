// Pieces of a report rendered in one order and written in another: the HTML
// report renders its check cards profile by profile, but shows failures
// first. A shelf keeps each piece until it is written: on disk for a run's
// report (a thousand profiles' cards are tens of megabytes), in memory for a
// report rendered as one string.
import { rmSync } from 'node:fs';
import { RecordFile, type Span } from '../record-file.js';

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
  private readonly records: RecordFile;
  private readonly spans: Span[] = [];

  constructor(readonly file: string) {
    this.records = new RecordFile(file);
  }

  put(text: string): number {
    return this.spans.push(this.records.append(text)) - 1;
  }

  get(id: number): string {
    const span = this.spans[id];
    if (span === undefined) throw new Error(`nothing on the shelf as ${id}`);
    return this.records.read(span, `piece ${id}`);
  }

  close(): void {
    this.records.close();
    rmSync(this.file, { force: true });
  }
}
