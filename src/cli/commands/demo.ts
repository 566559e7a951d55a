import { startDemo } from '../../demo/seed.js';
import { FaultError } from '../../reference/index.js';
import { UsageError } from '../../errors.js';
import { DEMO_PROFILE } from '../../paths.js';
import { SecretRegistry } from '../../secrets.js';
import { executeRun, type ExecuteOptions } from '../execute.js';
import type { CliIo } from '../io.js';
import { operatorPolicy, type OperatorOptions } from '../operator.js';
import { loadAll } from './run.js';

export function demoCommand(io: CliIo) {
  return async (opts: ExecuteOptions & OperatorOptions & { suite: string; fault?: string[] }): Promise<number> => {
    const policy = operatorPolicy(opts, io);
    let demo: Awaited<ReturnType<typeof startDemo>>;
    try {
      demo = await startDemo(opts.fault ?? []);
    } catch (err) {
      if (err instanceof FaultError) throw new UsageError(err.message);
      throw err;
    }
    try {
      const secrets = new SecretRegistry();
      for (const s of demo.secrets) secrets.add(s, s === demo.env.KEYPROBE_DEMO_ADMIN_TOKEN ? 'admin-token' : 'key');
      if (!opts.quiet) {
        const faults = Object.keys(demo.target.faults());
        io.stdout.write(
          `Reference target on ${demo.target.origin} (${demo.target.environment})${faults.length ? `, faults: ${faults.join(', ')}` : ', no faults'}\n`,
        );
      }
      // The reference target this command started is the operator's own: always allowed.
      const allowedOrigins = policy.allowedOrigins && [...policy.allowedOrigins, demo.target.origin];
      const { profiles, suite } = loadAll(io, [DEMO_PROFILE], opts.suite, { ...io.env, ...demo.env }, { ...policy, allowedOrigins });
      return await executeRun(io, profiles, suite, { ...opts, secrets });
    } finally {
      await demo.target.close();
    }
  };
}
