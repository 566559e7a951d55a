import { CHECKS } from '../../checks/index.js';
import type { CliIo } from '../io.js';

export function listCommand(io: CliIo) {
  return async (opts: { json?: boolean }): Promise<number> => {
    const rows = CHECKS.map((c) => ({
      id: c.id,
      title: c.title,
      description: c.description,
      severity: c.severity,
      destructive: c.destructive,
      phase: c.phase,
    }));
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...rows.map((r) => r.id.length));
    for (const r of rows) {
      io.stdout.write(
        `${r.id.padEnd(width)}  ${r.severity.padEnd(8)} ${r.destructive ? 'destructive' : '           '}  ${r.title}\n${' '.repeat(width + 2)}${r.description}\n`,
      );
    }
    return 0;
  };
}
