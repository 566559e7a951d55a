// Combines the results of several runs (CI shards over systems and
// environments) into one RunResult, as if one run had covered every profile.
// The verdict is recomputed from every gating check, never taken from a shard.
import { UsageError } from '../errors.js';
import { isInventoryResult, leftTargetChanged, RESULT_SCHEMA_VERSION, type ProfileRun, type RunResult } from '../result.js';
import { verdictOf } from '../runner/verdict.js';

export interface MergeInput {
  readonly file: string;
  readonly result: RunResult;
}

export interface MergeOptions {
  readonly runId: string;
  readonly tool: RunResult['tool'];
}

export function mergeResults(inputs: readonly MergeInput[], opts: MergeOptions): RunResult {
  if (inputs.length === 0) throw new UsageError('nothing to merge: name at least one results.json');
  const audits = inputs.filter((i) => isInventoryResult(i.result)).map((i) => i.file);
  if (audits.length > 0)
    throw new UsageError(
      `merge combines launch runs; ${audits.join(', ')} ${audits.length === 1 ? 'is the result' : 'are the results'} of an audit (a key inventory, not keys): compare audits with keyprobe diff`,
    );
  const duplicates = duplicateProfileRuns(inputs);
  if (duplicates.length > 0) {
    throw new UsageError(
      `the same key ran against the same target in more than one input; each profile run may be merged once:\n  ${duplicates.join('\n  ')}`,
    );
  }
  const results = inputs.map((i) => i.result);
  const profiles: ProfileRun[] = inputs.flatMap(({ file, result }) =>
    result.profiles.map((run) => ({
      ...run,
      notes: [...run.notes, `merged from ${file} (run ${result.runId}, keyprobe ${result.tool.version})`],
    })),
  );
  const startedAt = results.map((r) => r.startedAt).sort()[0]!;
  const finishedAt = results
    .map((r) => r.finishedAt)
    .sort()
    .at(-1)!;
  const incomplete = results.some((r) => r.incomplete);
  // A key one shard left changed stays unrestored in the merged run.
  const records = results.flatMap((r) => r.cleanup?.records ?? []);
  const leftOut = [...new Set(results.flatMap((r) => r.requiredLeftOut ?? []))];
  const cleanup = results.some((r) => r.cleanup) ? { complete: !records.some(leftTargetChanged), records } : undefined;
  const { verdict, exitCode } = verdictOf({ profiles, incomplete, ...(cleanup ? { cleanup } : {}) });
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    subject: { kind: 'keys' },
    runId: opts.runId,
    tool: opts.tool,
    operator: unique(results.map((r) => r.operator)).join(', '),
    suite: mergedSuite(results),
    startedAt,
    finishedAt,
    durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
    incomplete,
    profiles,
    ...(cleanup ? { cleanup } : {}),
    ...(leftOut.length > 0 ? { requiredLeftOut: leftOut } : {}),
    verdict,
    exitCode,
  };
}

/** A key is identified by its fingerprint; the same key against the same origin twice means a shard ran twice. */
function duplicateProfileRuns(inputs: readonly MergeInput[]): string[] {
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const { file, result } of inputs) {
    for (const { profile } of result.profiles) {
      const identity = `${profile.keyFingerprint} ${profile.targetOrigin}`;
      const first = seen.get(identity);
      if (first) duplicates.push(`${profile.keyName} (${profile.keyFingerprint}) on ${profile.targetOrigin}: in ${first} and ${file}`);
      else seen.set(identity, file);
    }
  }
  return duplicates;
}

function mergedSuite(results: readonly RunResult[]): RunResult['suite'] {
  const names = unique(results.map((r) => r.suite.name));
  if (names.length === 1) return results[0]!.suite;
  return { name: names.join(' + '), file: '(merged)' };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
