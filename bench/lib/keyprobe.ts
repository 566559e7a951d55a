// keyprobe as the benchmarks see it: the built package in dist/, the same
// code `node dist/cli.js` runs. Types come from src/, modules from dist/, so
// the benchmarks measure what users install and still type-check against it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root: the nearest folder above this file whose package.json is keyprobe's. */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const DIST = join(ROOT, 'dist');
export const CLI = join(DIST, 'cli.js');

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'keyprobe') return dir;
    if (dirname(dir) === dir) throw new Error("cannot find keyprobe's package.json above the bench folder");
  }
}

/** Imports a module of the built package, e.g. `fromDist<typeof import('../../src/result.js')>('result.js')`. */
export async function fromDist<T>(relative: string): Promise<T> {
  const file = join(DIST, relative);
  if (!existsSync(file)) throw new Error(`dist/${relative} is missing: run \`npm run build\` (npm run bench does)`);
  return (await import(pathToFileURL(file).href)) as T;
}

/** Whether the built package has this module (pieces other issues are still adding). */
export function inDist(relative: string): boolean {
  return existsSync(join(DIST, relative));
}

export type ReferenceModule = typeof import('../../src/reference/index.js');
export type SeedModule = typeof import('../../src/demo/seed.js');
export type { RunResult, CheckResult, ProfileRun, Exchange, Verdict } from '../../src/result.js';
export type { ReferenceTarget } from '../../src/reference/index.js';
