// From what a check said (CheckOutcome) to what the RunResult records: its
// findings, each linked to the exchange that proved it and located in the
// profile file (file:line:column through the YAML source map), and the key
// practice the check gives evidence for.
import type { AnyCheck, CheckOutcome } from '../checks/check.js';
import type { LoadedProfile } from '../config/load-profile.js';
import type { HttpClient } from '../http/client.js';
import type { Finding, FindingLocation } from '../result.js';

export interface FindingContext {
  readonly check: Pick<AnyCheck, 'title' | 'severity'>;
  readonly profile: Pick<LoadedProfile, 'file' | 'locate'>;
  /** The check's client, to link a response to its exchange; absent for a check that never started. */
  readonly http?: Pick<HttpClient, 'exchangeIndexOf'>;
  /** How many exchanges the result keeps (a finding never points past them). */
  readonly exchanges: number;
  readonly redact: (text: string) => string;
}

export function findingsOf(outcome: Pick<CheckOutcome, 'verdict' | 'message' | 'findings'>, ctx: FindingContext): Finding[] {
  if (outcome.findings && outcome.findings.length > 0)
    return outcome.findings.map((f) => {
      const index = f.response ? ctx.http?.exchangeIndexOf(f.response) : undefined;
      return {
        title: ctx.redact(f.title),
        message: ctx.redact(f.message),
        severity: f.severity ?? ctx.check.severity,
        ...(index !== undefined && index < ctx.exchanges ? { exchange: index } : {}),
        ...(f.path ? { location: locationOf(f.path, ctx.profile) } : {}),
      };
    });
  // A check that states no findings: a fail or an error is one, in its own words (nothing is lost until every check states its own).
  if (outcome.verdict !== 'fail' && outcome.verdict !== 'error') return [];
  return [{ title: ctx.check.title, message: ctx.redact(outcome.message), severity: ctx.check.severity }];
}

function locationOf(path: readonly (string | number)[], profile: Pick<LoadedProfile, 'file' | 'locate'>): FindingLocation {
  const at = profile.locate?.(path);
  return { file: profile.file, ...(at ? { line: at.line, column: at.column } : {}), path: [...path] };
}
