// Reads the files keyprobe is given (profiles, suites, CA certificates) and the
// files a profile references, safely: regular files only, refused before a
// byte is read when they are anything else (a FIFO blocks the process — and
// with it SIGINT — forever; /dev/zero never ends), and never more than a cap.
// `confine` keeps a profile's `${file:…}` inside the folders it may read.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { sep } from 'node:path';

export type ReadOutcome = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: string };

/** Windows has no O_NOFOLLOW (nor FIFOs that block like this); 0 leaves the flag out. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const CHUNK = 64 * 1024;

/**
 * Reads a regular file of at most `maxBytes`. The path is checked with stat
 * before it is opened (opening some devices has effects of its own), then the
 * opened descriptor is checked again with fstat (the path may have changed in
 * between), and reading stops one byte past the cap whatever the size said
 * (files in /proc report 0). O_NONBLOCK makes opening a FIFO return at once
 * instead of waiting for a writer. With `noFollow`, a symbolic link as the
 * last component is refused rather than followed.
 */
export function readRegularFile(path: string, maxBytes: number, opts: { noFollow?: boolean } = {}): ReadOutcome {
  let before: Stats;
  try {
    before = statSync(path);
  } catch (err) {
    return { ok: false, reason: openFailure(err) };
  }
  const kind = notRegular(before);
  if (kind) return { ok: false, reason: kind };
  if (before.size > maxBytes) return { ok: false, reason: tooLarge(before.size, maxBytes) };

  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NONBLOCK | (opts.noFollow ? O_NOFOLLOW : 0));
  } catch (err) {
    return { ok: false, reason: openFailure(err) };
  }
  try {
    const opened = fstatSync(fd);
    const openedKind = notRegular(opened);
    if (openedKind) return { ok: false, reason: openedKind };
    if (opened.size > maxBytes) return { ok: false, reason: tooLarge(opened.size, maxBytes) };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) return { ok: false, reason: `holds more than ${maxBytes} bytes; at most ${maxBytes} are read` };
    }
    return { ok: true, bytes: Buffer.concat(chunks, total) };
  } catch (err) {
    return { ok: false, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    closeSync(fd);
  }
}

/** Why a file that is not a regular file is refused, or undefined for a regular file. */
function notRegular(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  const what = st.isDirectory()
    ? 'a directory'
    : st.isFIFO()
      ? 'a FIFO (named pipe)'
      : st.isCharacterDevice()
        ? 'a character device'
        : st.isBlockDevice()
          ? 'a block device'
          : st.isSocket()
            ? 'a socket'
            : 'not a file';
  return `is ${what}, not a regular file`;
}

function tooLarge(size: number, maxBytes: number): string {
  return `is ${size} bytes; at most ${maxBytes} are read`;
}

function openFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  if (code === 'ELOOP') return 'is a symbolic link, which is not followed here';
  if (code === 'ENXIO') return 'is a socket or a device without a reader, not a regular file';
  return `cannot be read (${code ?? 'unknown error'})`;
}

export type ConfineOutcome = { readonly ok: true; readonly realPath: string } | { readonly ok: false; readonly reason: string };

/**
 * The real path of `file` (every symbolic link resolved), if it lies inside
 * one of `folders` (also resolved). A link inside a folder that leads out of
 * it is refused like a path that climbs out with `..`. Reading the returned
 * real path with `noFollow` then refuses a link swapped in afterwards.
 */
export function confine(file: string, folders: readonly string[]): ConfineOutcome {
  let realPath: string;
  try {
    realPath = realpathSync(file);
  } catch (err) {
    return { ok: false, reason: openFailure(err) };
  }
  const inside = folders.some((folder) => {
    const real = realFolder(folder);
    return real !== undefined && realPath.startsWith(real.endsWith(sep) ? real : `${real}${sep}`);
  });
  return inside ? { ok: true, realPath } : { ok: false, reason: 'outside' };
}

function realFolder(folder: string): string | undefined {
  try {
    return realpathSync(folder);
  } catch {
    return undefined;
  }
}
