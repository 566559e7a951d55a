// Finished profiles wait on disk, not in memory (issue #15: a thousand keys in
// a minute under 500 MB). Each profile's ProfileRun is appended to one JSON
// lines file as soon as the profile finishes and the runner drops it; a
// profile's evidence (every exchange of every check) is then held only while
// that profile runs. The spool remembers where each line is, so the run is
// read back in profile order, however the profiles finished.
//
// The spool holds what results.json will hold (already redacted), in a folder
// the caller creates and removes after publishing. It is also how the
// reporters read the finished run (a ProfileSource, src/result.ts): each
// profile is parsed again when a reporter asks for it, and let go after.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileRun, ProfileSource } from '../result.js';

/** The spool file's name inside the folder it is given. */
export const SPOOL_FILE = 'profiles.jsonl';

export class ProfileSpool implements ProfileSource {
  readonly file: string;
  private readonly fd: number;
  private end = 0;
  /** Where profile i's line is: its byte offset and length. */
  private readonly lines = new Map<number, { offset: number; length: number }>();
  /** The profile indices in order, once asked for (a put clears it). */
  private order: number[] | undefined;

  constructor(folder: string) {
    this.file = join(folder, SPOOL_FILE);
    // 'wx+': a fresh file of our own (never one planted there), read back later.
    this.fd = openSync(this.file, 'wx+', 0o600);
  }

  /** How many profiles are on disk. */
  get size(): number {
    return this.lines.size;
  }

  /** As a ProfileSource: the number of profiles (the same as size). */
  get length(): number {
    return this.lines.size;
  }

  /** The profile at `position` in profile order (negative counts from the end, as Array.at does). */
  at(position: number): ProfileRun | undefined {
    const order = this.indices();
    const index = order[position < 0 ? position + order.length : position];
    return index === undefined ? undefined : this.get(index);
  }

  [Symbol.iterator](): Iterator<ProfileRun> {
    return this.runs();
  }

  /** Appends profile `index`'s run; the caller need not keep it. */
  put(index: number, run: ProfileRun): void {
    if (this.lines.has(index)) throw new Error(`profile ${index} is already in the spool`);
    const bytes = Buffer.from(`${JSON.stringify(run)}\n`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.end + written);
    this.lines.set(index, { offset: this.end, length: bytes.length - 1 });
    this.order = undefined;
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
    for (const i of this.indices()) yield this.get(i);
  }

  private indices(): number[] {
    this.order ??= [...this.lines.keys()].sort((a, b) => a - b);
    return this.order;
  }

  close(): void {
    closeSync(this.fd);
  }
}
