// What the texts of refusals hold, worked out once per distinct text. At
// scale most refusals say the same things: a run of 200 profiles judged
// 174,648 texts (bodies, header names and values) of which all but 45 had
// been judged before, 91% of them with no secret registered in between
// (bench/cpu-at-scale.md, session 12): every profile's stability window sees
// the same 401 body and the same headers dozens of times, and so do the other
// profiles. Judging each again with the leak scanner and the stack-trace
// patterns cost 0.8-1.2 s of main-thread time in such a run; remembered,
// 0.3-0.4 s (CPU profiles, alternated).
//
// What the scanner finds in a text depends only on the text and the secrets
// the scanner holds, and a scanner only ever learns secrets (each one makes
// it larger: LeakScanner.size). So a remembered answer is used only while the
// scanner is the size it was worked out at; a secret learned later forgets
// them all, and the text is searched again with it. Whether a text holds a
// stack trace depends on the text alone.
import type { LeakFinding, LeakScanner } from '../leaks/scanner.js';
import { ownCopy } from '../secrets.js';
import { findStackTrace } from './stack-traces.js';

/**
 * Longer texts are searched every time: a refusal's texts are short (a burst
 * keeps 2,048 characters of a body). With REMEMBERED_TEXTS, at most 4 MiB a
 * map, however many distinct texts a lying server makes up.
 */
const REMEMBERED_TEXT_CHARS = 2048;
/** Texts remembered before it starts again (a 200-profile run's refusals had 45 distinct texts). */
const REMEMBERED_TEXTS = 1024;

interface FoundBy {
  /** The scanner's size when these were found. */
  size: number;
  readonly found: Map<string, readonly LeakFinding[]>;
}

const foundBy = new WeakMap<LeakScanner, FoundBy>();
const traces = new Map<string, string | null>();

/** scanner.find(text), remembered while the scanner learns no other secret. */
export function findingsIn(scanner: LeakScanner, text: string): readonly LeakFinding[] {
  if (text.length > REMEMBERED_TEXT_CHARS) return scanner.find(text);
  let memo = foundBy.get(scanner);
  if (memo === undefined) {
    memo = { size: scanner.size, found: new Map() };
    foundBy.set(scanner, memo);
  } else if (memo.size !== scanner.size) {
    memo.found.clear();
    memo.size = scanner.size;
  }
  const known = memo.found.get(text);
  if (known !== undefined) return known;
  const found = Object.freeze(scanner.find(text));
  if (memo.found.size >= REMEMBERED_TEXTS) memo.found.clear();
  memo.found.set(ownCopy(text), found);
  return found;
}

/** findStackTrace(text), remembered. */
export function stackTraceIn(text: string): string | undefined {
  if (text.length > REMEMBERED_TEXT_CHARS) return findStackTrace(text);
  const known = traces.get(text);
  if (known !== undefined) return known ?? undefined;
  const trace = findStackTrace(text);
  if (traces.size >= REMEMBERED_TEXTS) traces.clear();
  traces.set(ownCopy(text), trace ?? null);
  return trace;
}
