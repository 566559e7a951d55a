// Finished profiles wait on disk, not in memory (issue #15: a thousand keys in
// a minute under 500 MB). Each profile's ProfileRun is appended to one JSON
// lines file as soon as the profile finishes and the runner drops it; a
// profile's evidence (every exchange of every check) is then held only while
// that profile runs. The spool remembers where each line is, so the run is
// read back in profile order, however the profiles finished.
//
// The spool holds what results.json will hold (already redacted), in a folder
// the caller creates next to the report folder and removes after publishing.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileRun } from '../result.js';

/** The spool file's name inside the folder it is given. */
export const SPOOL_FILE = 'profiles.jsonl';

export class ProfileSpool {
  readonly file: string;
  private readonly fd: number;
  private end = 0;
  /** Where profile i's line is: its byte offset and length. */
  private readonly lines = new Map<number, { offset: number; length: number }>();

  constructor(folder: string) {
    this.file = join(folder, SPOOL_FILE);
    // 'wx+': a fresh file of our own (never one planted there), read back later.
    this.fd = openSync(this.file, 'wx+', 0o600);
  }

  /** How many profiles are on disk. */
  get size(): number {
    return this.lines.size;
  }

  /** Appends profile `index`'s run; the caller need not keep it. */
  put(index: number, run: ProfileRun): void {
    if (this.lines.has(index)) throw new Error(`profile ${index} is already in the spool`);
    const bytes = Buffer.from(`${JSON.stringify(run)}\n`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.end + written);
    this.lines.set(index, { offset: this.end, length: bytes.length - 1 });
    this.end += bytes.length;
  }

  /** Profile `index`'s run, read back from disk. */
  get(index: number): ProfileRun {
    const at = this.lines.get(index);
    if (!at) throw new Error(`profile ${index} is not in the spool`);
    const bytes = Buffer.alloc(at.length);
    let read = 0;
    while (read < at.length) {
      const n = readSync(this.fd, bytes, read, at.length - read, at.offset + read);
      if (n === 0) throw new Error(`the spool ${this.file} ends before profile ${index}`);
      read += n;
    }
    return JSON.parse(bytes.toString('utf8')) as ProfileRun;
  }

  /** Every profile's run in profile order (0, 1, …), one at a time. */
  *runs(): Generator<ProfileRun> {
    const indices = [...this.lines.keys()].sort((a, b) => a - b);
    for (const i of indices) yield this.get(i);
  }

  close(): void {
    closeSync(this.fd);
  }
}
