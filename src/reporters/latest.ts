// reports/latest: a symlink to the newest run's report directory, replaced
// atomically. Where symlinks cannot be made (some Windows and network file
// systems), `latest` is a small text file holding the directory's path.
import { lstat, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';

export async function pointLatest(latest: string, target: string): Promise<'symlink' | 'file'> {
  await mkdir(dirname(latest), { recursive: true });
  const existing = await lstat(latest).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`${latest} is a directory; keyprobe leaves it alone`);
  const rel = relative(dirname(latest), target);
  const linkTarget = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : target;
  const temp = join(dirname(latest), `.latest-${process.pid}-${Date.now()}`);
  try {
    await symlink(linkTarget, temp, 'dir');
    await rename(temp, latest);
    return 'symlink';
  } catch {
    await rm(temp, { force: true }).catch(() => undefined);
    await writeFile(latest, `${target}\n`, 'utf8');
    return 'file';
  }
}
