// A finding in words, the same in every report: where in the profile it
// points (file:line:column, and the field), and which exchange proved it.
import type { CheckResult, Finding, FindingLocation } from '../result.js';

/** `profiles/crm.yaml:12:5 (allowed[0])`, or without a line (a default the file does not spell out) `profiles/crm.yaml (allowed[0])`. */
export function placeOf(l: FindingLocation): string {
  const at = l.line !== undefined ? `${l.file}:${l.line}${l.column !== undefined ? `:${l.column}` : ''}` : l.file;
  return l.path.length > 0 ? `${at} (${fieldPath(l.path)})` : at;
}

function fieldPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * The findings worth showing beside the check's message: those with a place
 * or a proof, or words of their own (one derived from the message alone would
 * only repeat it).
 */
export function shownFindings(c: CheckResult): Finding[] {
  return c.findings.filter((f) => f.location !== undefined || f.exchange !== undefined || f.message !== c.message);
}

/** `at profiles/crm.yaml:12:5 (allowed[0]): GET /v1/agents was served — exchange 2 "denied: GET /v1/agents"`. */
export function findingText(f: Finding, c: CheckResult): string {
  const proof = f.exchange !== undefined ? c.evidence[f.exchange] : undefined;
  const where = f.location ? `at ${placeOf(f.location)}: ` : '';
  const title = f.title !== c.title ? `${f.title}: ` : '';
  return `${where}${title}${f.message}${proof && f.exchange !== undefined ? ` — exchange ${f.exchange + 1} "${proof.label}"` : ''}`;
}
