// `--reporter console,junit,…` (repeatable or comma-separated): which
// reporters a command uses. Each command has its defaults and the names it
// can honour; an unknown name is bad usage (exit 2) with a did-you-mean.
import { closest } from '../config/zod-problems.js';
import { UsageError } from '../errors.js';

export function selectReporters<N extends string>(
  given: readonly string[] | undefined,
  available: readonly N[],
  defaults: readonly N[],
): N[] {
  const names = (given ?? [])
    .flatMap((g) => g.split(','))
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (given === undefined) return [...defaults];
  if (names.length === 0) throw new UsageError(`--reporter is empty: name one or more of ${available.join(', ')}`);
  for (const n of names) {
    if ((available as readonly string[]).includes(n)) continue;
    const guess = closest(n, available);
    throw new UsageError(`unknown reporter "${n}"${guess ? ` (did you mean ${guess}?)` : ''}; choose from ${available.join(', ')}`);
  }
  return [...new Set(names)] as N[];
}
