// What the operator decides, and a profile cannot: the folders a profile's
// `${file:…}` and target.ca may read besides its own (--secrets-dir). The one
// place the CLI turns these settings into a policy the loader enforces.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProfileOptions } from '../config/load-profile.js';
import { UsageError } from '../errors.js';
import type { CliIo } from './io.js';

export interface OperatorOptions {
  /** --secrets-dir, repeatable. */
  readonly secretsDir?: readonly string[];
}

export function operatorPolicy(opts: OperatorOptions, io: CliIo): ProfileOptions {
  return { secretsDirs: (opts.secretsDir ?? []).map((dir) => existingFolder(dir, io.cwd)) };
}

function existingFolder(dir: string, cwd: string): string {
  const path = resolve(cwd, dir);
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`--secrets-dir ${dir}: folder not found`);
  }
  if (!isFolder) throw new UsageError(`--secrets-dir ${dir}: is not a folder`);
  return path;
}
