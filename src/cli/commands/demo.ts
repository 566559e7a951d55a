import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { demoProfileDeclaring } from '../../demo/declare.js';
import { startDemo } from '../../demo/seed.js';
import { BehaviourError, FaultError } from '../../reference/index.js';
import { UsageError } from '../../errors.js';
import { DEMO_PROFILE } from '../../paths.js';
import { SecretRegistry } from '../../secrets.js';
import { REPORTER_NAMES, RUN_DEFAULT_REPORTERS } from '../../reporters/index.js';
import { executeRun, type ExecuteOptions } from '../execute.js';
import { selectReporters } from '../reporter-selection.js';
import type { CliIo } from '../io.js';
import { operatorPolicy, type OperatorOptions } from '../operator.js';
import { loadAll } from './run.js';

export function demoCommand(io: CliIo) {
  return async (opts: ExecuteOptions & OperatorOptions & { suite: string; fault?: string[]; behaviour?: string[] }): Promise<number> => {
    const policy = operatorPolicy(opts, io);
    // Bad usage stops before the reference target starts (executeRun checks again, for run).
    selectReporters(opts.reporter, REPORTER_NAMES, RUN_DEFAULT_REPORTERS);
    // An install without its bundled profile is a broken install, said before a target starts.
    if (!existsSync(DEMO_PROFILE))
      throw new UsageError(`the demo profile that comes with keyprobe is missing (${DEMO_PROFILE}): reinstall keyprobe`);
    let demo: Awaited<ReturnType<typeof startDemo>>;
    try {
      demo = await startDemo(opts.fault ?? [], 'prod', 0, opts.behaviour ?? []);
    } catch (err) {
      if (err instanceof FaultError || err instanceof BehaviourError) throw new UsageError(err.message);
      throw err;
    }
    let tmp: string | undefined;
    // Everything after the target started is inside the try: the target must close whatever throws, or its
    // listening socket keeps the process alive after the error is reported (a hang).
    try {
      // A platform behaviour is declared in the profile, as its owner would: the demo profile, edited, in a temp folder.
      const declaring = demoProfileDeclaring(demo.target.behaviours());
      tmp = declaring ? mkdtempSync(join(tmpdir(), 'keyprobe-demo-')) : undefined;
      const profileFile = tmp && declaring ? join(tmp, basename(DEMO_PROFILE)) : DEMO_PROFILE;
      if (tmp && declaring) writeFileSync(profileFile, declaring.text);
      const secrets = new SecretRegistry();
      for (const s of demo.secrets) secrets.add(s, s === demo.env.KEYPROBE_DEMO_ADMIN_TOKEN ? 'admin-token' : 'key');
      if (!opts.quiet) {
        const faults = Object.keys(demo.target.faults());
        const behaviours = Object.entries(demo.target.behaviours()).map(([k, v]) => (v === true ? k : `${k}=${v}`));
        io.stdout.write(
          `Reference target on ${demo.target.origin} (${demo.target.environment})${faults.length ? `, faults: ${faults.join(', ')}` : ', no faults'}${behaviours.length ? `, platform behaviours: ${behaviours.join(', ')}` : ''}\n`,
        );
        if (declaring) io.stdout.write(`The demo profile declares ${declaring.declared.join('; ')}\n`);
      }
      // The reference target this command started is the operator's own: always allowed, whichever behaviours it runs with.
      const allowedOrigins = policy.allowedOrigins && [...policy.allowedOrigins, demo.target.origin];
      const { profiles, suite } = loadAll(io, [profileFile], opts.suite, { ...io.env, ...demo.env }, { ...policy, allowedOrigins });
      return await executeRun(io, profiles, suite, { ...opts, secrets });
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      await demo.target.close();
    }
  };
}
