import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
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

export function referenceCommand(io: CliIo) {
  return async (opts: {
    port: number;
    environment: string;
    fault?: string[];
    behaviour?: string[];
    seed?: boolean;
    envFile: string;
  }): Promise<number> => {
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
        env = { KEYPROBE_TARGET: target.origin, KEYPROBE_ADMIN_TOKEN: target.adminToken };
      }
    } catch (err) {
      if (err instanceof FaultError || err instanceof BehaviourError) throw new UsageError(err.message);
      throw err;
    }
    // Secrets never go to the terminal: they go to a file only its owner can read.
    const envFile = resolve(io.cwd, opts.envFile);
    writeFileSync(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `export ${k}='${v}'\n`)
        .join(''),
      { mode: 0o600 },
    );
    io.stdout.write(
      `Reference target (${target.environment}) listening on ${target.origin}\nIts admin token${opts.seed ? ' and demo keys' : ''} are in ${envFile}: run \`. ${opts.envFile}\` in your shell. Ctrl-C stops it.\n`,
    );
    await new Promise<void>((resolve) => {
      if (io.signal?.aborted) resolve();
      io.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    await target.close();
    return 0;
  };
}
