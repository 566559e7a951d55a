// `keyprobe list`: every check, one per line pair. `--verbose` adds what each
// check needs: its practice, params (type, default, description) and every
// reason it skips, read from the check itself; `list <check-id>` shows one.
import { findCheck } from '../../checks/index.js';
import { UsageError } from '../../errors.js';
import { checkReference, checkReferences, type CheckReference } from '../../schema/check-reference.js';
import type { CliIo } from '../io.js';

export function listCommand(io: CliIo) {
  return async (id: string | undefined, opts: { json?: boolean; verbose?: boolean }): Promise<number> => {
    const refs = id === undefined ? checkReferences() : [checkReference(checkById(id))];
    const verbose = opts.verbose === true || id !== undefined;
    if (opts.json) {
      const rows = verbose
        ? refs
        : refs.map(({ id, title, description, severity, destructive, phase }) => ({
            id,
            title,
            description,
            severity,
            destructive,
            phase,
          }));
      io.stdout.write(`${JSON.stringify(id === undefined ? rows : rows[0], null, 2)}\n`);
      return 0;
    }
    const width = Math.max(...refs.map((r) => r.id.length));
    for (const r of refs) {
      io.stdout.write(
        `${r.id.padEnd(width)}  ${r.severity.padEnd(8)} ${r.destructive ? 'destructive' : '           '}  ${r.title}\n${' '.repeat(width + 2)}${r.description}\n`,
      );
      if (verbose) io.stdout.write(`${details(r, ' '.repeat(width + 2))}\n`);
    }
    return 0;
  };
}

function checkById(id: string) {
  const check = findCheck(id);
  if (!check) throw new UsageError(`unknown check "${id}"; \`keyprobe list\` shows every check`);
  return check;
}

/** Practice, params and skip rules, indented under the check. */
function details(r: CheckReference, indent: string): string {
  const lines: string[] = [];
  if (r.practice) lines.push(`practice: ${r.practice}`);
  lines.push(`phase: ${r.phase}${r.destructive ? ' (changes key state: acts on a canary unless lifecycle.actOnOwnKey)' : ''}`);
  if (r.params.length === 0) lines.push('params: none');
  else {
    lines.push('params (set in a suite: checks: [{ id, params: { … } }]):');
    for (const p of r.params)
      lines.push(
        `  ${p.name}: ${p.type}${'default' in p ? `, default ${JSON.stringify(p.default)}` : ''}${p.description ? ` — ${p.description}` : ''}`,
      );
  }
  if (r.skipsWhen.length === 0) lines.push('needs: nothing beyond key, target and allowed (never skips)');
  else {
    lines.push('skips when (the field to add or fix, and why):');
    for (const s of r.skipsWhen) lines.push(`  ${s.field}: ${s.message}`);
  }
  return lines.map((l) => `${indent}${l}`).join('\n');
}
