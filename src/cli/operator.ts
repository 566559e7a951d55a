// What the operator decides, and a profile cannot: the folders a profile's
// `${file:…}` and target.ca may read besides its own (--secrets-dir), and the
// origins a profile may send to (--allow-origin, KEYPROBE_ALLOWED_ORIGINS),
// and whether a profile's command lifecycle adapter may run shell commands
// (--allow-commands, KEYPROBE_ALLOW_COMMANDS=1); and who the operator is, for
// the reports (--operator, else the OS account or $USER).
// The one place the CLI reads these settings, from its options and the
// environment, and turns them into the policy the loader enforces.
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { ProfileOptions } from '../config/load-profile.js';
import { UsageError } from '../errors.js';
import type { CliIo } from './io.js';

/** Comma- or space-separated origins; set but empty allows none (a CI variable that went missing must not lift the restriction). */
export const ALLOWED_ORIGINS_VARIABLE = 'KEYPROBE_ALLOWED_ORIGINS';

export interface OperatorOptions {
  /** --secrets-dir, repeatable. */
  readonly secretsDir?: readonly string[];
  /** --allow-origin, repeatable or comma-separated. */
  readonly allowOrigin?: readonly string[];
}

/** Set to 1 where keyprobe runs to let a profile's `command` lifecycle adapter run its shell commands. */
export const ALLOW_COMMANDS_VARIABLE = 'KEYPROBE_ALLOW_COMMANDS';

/** An operator-side setting, never a profile's: --allow-commands, or KEYPROBE_ALLOW_COMMANDS=1. */
export function commandsAllowed(opts: { readonly allowCommands?: boolean }, io: CliIo): boolean {
  return opts.allowCommands === true || io.env[ALLOW_COMMANDS_VARIABLE] === '1';
}

/**
 * Who ran it, for every report: --operator, else the OS account, else $USER
 * (an account with no passwd entry, as in some containers), else "unknown".
 */
export function runOperator(opts: { readonly operator?: string }, io: CliIo): string {
  if (opts.operator !== undefined) return opts.operator;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return io.env.USER ?? 'unknown';
  }
}

export function operatorPolicy(opts: OperatorOptions, io: CliIo): ProfileOptions {
  const allowedOrigins = allowList(opts.allowOrigin, io.env[ALLOWED_ORIGINS_VARIABLE]);
  return {
    secretsDirs: (opts.secretsDir ?? []).map((dir) => existingFolder(dir, io.cwd)),
    ...(allowedOrigins ? { allowedOrigins } : {}),
  };
}

/** The flag's origins and the variable's together; undefined when neither is set (no restriction). */
function allowList(flag: readonly string[] | undefined, variable: string | undefined): string[] | undefined {
  if (flag === undefined && variable === undefined) return undefined;
  if (flag !== undefined && flag.length === 0)
    throw new UsageError('--allow-origin needs an origin, e.g. --allow-origin https://api.example.com');
  const fromFlag = (flag ?? []).map((v) => originOf(v, `--allow-origin "${v}"`));
  const fromVariable = (variable ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((v) => originOf(v, `${ALLOWED_ORIGINS_VARIABLE}: "${v}"`));
  return [...new Set([...fromFlag, ...fromVariable])];
}

function originOf(value: string, label: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const isOrigin =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    (url.pathname === '/' || url.pathname === '') &&
    !url.search &&
    !url.hash &&
    !url.username &&
    !url.password;
  if (!url || !isOrigin) throw new UsageError(`${label} is not an origin: expected scheme://host[:port], e.g. https://api.example.com`);
  return url.origin;
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
