// A baseline: what an earlier run found, so this run can tell what is new,
// what persists, and what was resolved. For an audit it is the findings.json
// of an earlier audit; for a launch run, the results.json of an earlier run.
// Items are matched by identity — rule or check, key id, and (for two
// findings of one rule on one key) the aspect — never by their wording, which
// changes as time passes ("143 days ago").
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';

/** What a baseline item is: an audit finding, a key an audit rule could not judge, or a check result that was not a pass. */
export type ItemKind = 'finding' | 'notVerifiable' | 'check';

export interface BaselineItem {
  readonly kind: ItemKind;
  /** Rule or check id. */
  readonly rule: string;
  /** Key id (audit) or profile key name (run). */
  readonly id: string;
  readonly name?: string;
  readonly aspect?: string;
  /** What was wrong then: a finding's detail, a reason, or a check's verdict and message. */
  readonly detail?: string;
  readonly severity?: string;
}

export interface Baseline {
  readonly file: string;
  readonly kind: 'audit' | 'run';
  readonly runId: string;
  /** The instant the earlier audit judged by, or when the earlier run started. */
  readonly asOf?: string;
  /**
   * Every item by kind and rule (ruleKey), then by key (itemKey): what
   * acceptance looks up once per finding of 100,000 keys, without building an
   * identity string each time.
   */
  readonly byRule: ReadonlyMap<string, ReadonlyMap<string, BaselineItem>>;
  /** Audit: findings per rule then, for the trend. Run: not set. */
  readonly countsByRule?: Readonly<Record<string, number>>;
  readonly keyCount?: number;
  /** Audit (findings.json v2): the keys then, id → name, for keys added and removed. */
  readonly keys?: ReadonlyMap<string, string | undefined>;
}

const SEP = '\u0001';

/** The outer key of Baseline.byRule. */
export function ruleKey(kind: ItemKind, rule: string): string {
  return `${kind}${SEP}${rule}`;
}

/** The inner key of Baseline.byRule: the key id, and the aspect where there is one. */
export function itemKey(id: string, aspect?: string): string {
  return aspect === undefined ? id : `${id}${SEP}${aspect}`;
}

/** Every item of a baseline. */
export function* baselineItems(baseline: Pick<Baseline, 'byRule'>): Generator<BaselineItem> {
  for (const items of baseline.byRule.values()) yield* items.values();
}

/** Whether a baseline has an item of this kind, rule and key. */
export function hasItem(baseline: Pick<Baseline, 'byRule'>, item: BaselineItem): boolean {
  return baseline.byRule.get(ruleKey(item.kind, item.rule))?.has(itemKey(item.id, item.aspect)) ?? false;
}

/** Files the items by rule, then key (the rule key built once per rule, not per item). */
class ItemIndex {
  readonly byRule = new Map<string, Map<string, BaselineItem>>();
  private lastRule = '';
  private lastKind = '';
  private last: Map<string, BaselineItem> | undefined;
  add(item: BaselineItem): void {
    if (item.rule !== this.lastRule || item.kind !== this.lastKind || !this.last) {
      const outer = ruleKey(item.kind, item.rule);
      let map = this.byRule.get(outer);
      if (!map) {
        map = new Map();
        this.byRule.set(outer, map);
      }
      this.last = map;
      this.lastRule = item.rule;
      this.lastKind = item.kind;
    }
    this.last.set(itemKey(item.id, item.aspect), item);
  }
}

/** A baseline item without spreading optional fields (one per finding of a large audit). */
function item(kind: ItemKind, rule: string, id: string, name?: string, aspect?: string, detail?: string, severity?: string): BaselineItem {
  const out: { -readonly [K in keyof BaselineItem]: BaselineItem[K] } = { kind, rule, id };
  if (name !== undefined) out.name = name;
  if (aspect !== undefined) out.aspect = aspect;
  if (detail !== undefined) out.detail = detail;
  if (severity !== undefined) out.severity = severity;
  return out;
}

/** A keyprobe output file as read: a findings.json (audit) or a results.json (run). */
export type ReportDoc =
  | { readonly kind: 'audit'; readonly file: string; readonly doc: FindingsDocLike }
  | { readonly kind: 'run'; readonly file: string; readonly doc: ResultsDocLike };

/**
 * Reads a findings.json or results.json, or a report directory holding one
 * (findings.json first: an audit's results.json caps its findings). An
 * audit's results.json is read through the findings.json beside it.
 */
export function readReportDoc(input: string, label = input): ReportDoc {
  let file = input;
  try {
    if (statSync(input).isDirectory()) {
      const findings = join(input, 'findings.json');
      file = exists(findings) ? findings : join(input, 'results.json');
    }
  } catch {
    // Reported below as "file not found".
  }
  const shown = file === input ? label : join(label, file.slice(input.length + 1));
  const data = readJsonFile(file, shown);
  if (isFindingsDoc(data)) return { kind: 'audit', file: shown, doc: data };
  if (isResultsDoc(data)) {
    const beside = join(dirname(file), 'findings.json');
    // An audit's results.json says so in its subject (schema 2); older ones by their suite's name.
    if ((data.subject?.kind === 'inventory' || data.suite?.name === 'audit') && exists(beside)) {
      const doc = readJsonFile(beside, join(dirname(shown), 'findings.json'));
      if (isFindingsDoc(doc)) return { kind: 'audit', file: join(dirname(shown), 'findings.json'), doc };
    }
    return { kind: 'run', file: shown, doc: data };
  }
  throw new ConfigError([
    { file: shown, path: '', message: 'is neither a findings.json (keyprobe audit) nor a results.json (keyprobe run) written by keyprobe' },
  ]);
}

/** Reads a baseline: a findings.json or results.json, or a report directory holding one. */
export function readBaseline(input: string, label = input): Baseline {
  const read = readReportDoc(input, label);
  return read.kind === 'audit' ? fromFindings(read.doc, read.file) : fromResults(read.doc, read.file);
}

/**
 * How a run names each of its profiles: the key name, or, where two profiles
 * of one run share a key name, the key name and the profile file.
 */
export function profileSubjects(profiles: readonly { readonly profile: { readonly keyName: string; readonly file?: string } }[]): string[] {
  const count = new Map<string, number>();
  for (const p of profiles) count.set(p.profile.keyName, (count.get(p.profile.keyName) ?? 0) + 1);
  return profiles.map((p) =>
    (count.get(p.profile.keyName) ?? 0) > 1 ? `${p.profile.keyName} (${p.profile.file ?? '?'})` : p.profile.keyName,
  );
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function readJsonFile(file: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([
      { file: label, path: '', message: code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'error'})` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ file: label, path: '', message: `is not JSON (${(err as Error).message})` }]);
  }
}

export interface FindingsDocLike {
  schemaVersion: number;
  runId: string;
  asOf?: string;
  inventory?: { keys?: number; rows?: number; enabled?: number };
  rules?: { id: string; findings?: number; notVerifiable?: number; verdict?: string; gating?: boolean; gatingNow?: boolean }[];
  findings: { rule: string; id: string; name?: string; detail?: string; aspect?: string; severity?: string }[];
  notVerifiable?: { rule: string; id: string; name?: string; reason?: string }[];
  keys?: { id: string; name?: string }[];
}

export interface ResultsDocLike {
  schemaVersion: number;
  runId: string;
  startedAt?: string;
  verdict?: string;
  suite?: { name?: string };
  subject?: { kind?: string };
  profiles: {
    profile: { keyName: string; file?: string };
    requestsSent?: number;
    checks: { id: string; verdict: string; message?: string; severity?: string; measurements?: Record<string, unknown> }[];
  }[];
}

export function isFindingsDoc(data: unknown): data is FindingsDocLike {
  const d = data as FindingsDocLike | null;
  return !!d && typeof d === 'object' && typeof d.schemaVersion === 'number' && Array.isArray(d.findings) && typeof d.runId === 'string';
}

export function isResultsDoc(data: unknown): data is ResultsDocLike {
  const d = data as ResultsDocLike | null;
  return !!d && typeof d === 'object' && typeof d.schemaVersion === 'number' && Array.isArray(d.profiles) && typeof d.runId === 'string';
}

/** findings.json v1 had no aspect; the secret rule's detail names the field. */
function aspectOf(f: { rule: string; detail?: string; aspect?: string }): string | undefined {
  if (f.aspect !== undefined) return f.aspect;
  if (f.rule === 'audit.secret-in-inventory') return /^field "(.*)" holds/.exec(f.detail ?? '')?.[1];
  return undefined;
}

export function fromFindings(doc: FindingsDocLike, file: string): Baseline {
  const index = new ItemIndex();
  for (const f of doc.findings) index.add(item('finding', f.rule, String(f.id), f.name, aspectOf(f), f.detail, f.severity));
  for (const n of doc.notVerifiable ?? []) index.add(item('notVerifiable', n.rule, String(n.id), n.name, undefined, n.reason));
  const countsByRule: Record<string, number> = {};
  for (const r of doc.rules ?? []) countsByRule[r.id] = r.findings ?? 0;
  return {
    file,
    kind: 'audit',
    runId: doc.runId,
    ...(doc.asOf ? { asOf: doc.asOf } : {}),
    byRule: index.byRule,
    countsByRule,
    ...(typeof doc.inventory?.keys === 'number' ? { keyCount: doc.inventory.keys } : {}),
    ...(doc.keys ? { keys: new Map(doc.keys.map((k) => [String(k.id), k.name])) } : {}),
  };
}

export function fromResults(doc: ResultsDocLike, file: string): Baseline {
  const index = new ItemIndex();
  const subjects = profileSubjects(doc.profiles);
  for (const [i, p] of doc.profiles.entries()) {
    const subject = subjects[i]!;
    for (const c of p.checks) {
      if (c.verdict === 'pass' || c.verdict === 'skip') continue;
      // A failure and a "could not verify" are different states: one turning into the other is news.
      index.add(item('check', c.id, subject, undefined, c.verdict, `${c.verdict}: ${c.message ?? ''}`, c.severity));
    }
  }
  return {
    file,
    kind: 'run',
    runId: doc.runId,
    ...(doc.startedAt ? { asOf: doc.startedAt } : {}),
    byRule: index.byRule,
  };
}
