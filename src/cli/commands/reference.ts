// `keyprobe reference`: serves the reference target until stopped. Its admin
// token (and with --seed the demo keys) never go to the terminal: they go to
// an env file only its owner can read, under KEYPROBE_DEMO_* names.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { startDemo } from '../../demo/seed.js';
import {
  BehaviourError,
  FaultError,
  parseBehaviourArgs,
  parseFaultArgs,
  startReferenceTarget,
  type ReferenceTarget,
} from '../../reference/index.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';

export interface ReferenceOptions {
  readonly port: number;
  readonly environment: string;
  readonly fault?: string[];
  readonly behaviour?: string[];
  readonly seed?: boolean;
  readonly writeEnv: string;
  /** The old name of --write-env, kept only to refuse it clearly. */
  readonly envFile?: string;
}

export function referenceCommand(io: CliIo) {
  return async (opts: ReferenceOptions): Promise<number> => {
    // Node.js 20 scans its whole argv for --env-file (and exits when the file is
    // missing), so the option could never reliably reach keyprobe.
    if (opts.envFile !== undefined)
      throw new UsageError('--env-file is now --write-env (Node.js 20 takes --env-file for itself): keyprobe reference --write-env FILE');
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
      throw new UsageError(`--port must be 0–65535, got ${opts.port}`);
    let target: ReferenceTarget;
    let env: Record<string, string>;
    try {
      if (opts.seed) {
        const demo = await startDemo(opts.fault ?? [], opts.environment, opts.port, opts.behaviour ?? []);
        target = demo.target;
        env = demo.env;
      } else {
        target = await startReferenceTarget({
          port: opts.port,
          environment: opts.environment,
          faults: parseFaultArgs(opts.fault ?? []),
          behaviours: parseBehaviourArgs(opts.behaviour ?? []),
        });
        env = { KEYPROBE_DEMO_TARGET: target.origin, KEYPROBE_DEMO_ADMIN_TOKEN: target.adminToken };
      }
    } catch (err) {
      if (err instanceof FaultError || err instanceof BehaviourError) throw new UsageError(err.message);
      throw err;
    }
    const envFile = resolve(io.cwd, opts.writeEnv);
    try {
      writePrivateFile(
        envFile,
        Object.entries(env)
          .map(([k, v]) => `export ${k}='${v}'\n`)
          .join(''),
      );
    } catch (err) {
      await target.close();
      throw new UsageError(`--write-env ${opts.writeEnv}: cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    io.stdout.write(
      `Reference target (${target.environment}) listening on ${target.origin}\nIts admin token${opts.seed ? ' and demo keys' : ''} are in ${envFile}: run \`. ${opts.writeEnv}\` in your shell. Ctrl-C stops it.\n`,
    );
    await new Promise<void>((resolve) => {
      if (io.signal?.aborted) resolve();
      io.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    await target.close();
    return 0;
  };
}

/**
 * Writes `text` to `file` with mode 0600, atomically: into a new file beside
 * it (created exclusively, so never through a link someone placed), then
 * renamed over the path. Whatever was there — a 0644 file from an older
 * keyprobe, a symbolic link — is replaced, never written through.
 */
function writePrivateFile(file: string, text: string): void {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
