// report.html: one self-contained file a security reviewer can attach to a
// launch sign-off. Inline CSS and SVG only; a Content-Security-Policy that
// forbids every fetch; a small optional script (expand/collapse, open every
// card before printing) that the page does not need to be read.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  sentCleanups,
  unfinishedCleanups,
  type CheckResult,
  type Exchange,
  type Measurement,
  type PracticeName,
  type ProfileRun,
  type ProfileSource,
  type RunResult,
  type Severity,
  type Verdict,
} from '../result.js';
import { sentHeading, sentLine } from './sent-cleanups.js';
import { explainExitCode, notVerifiedReasons } from '../runner/verdict.js';
import { anchorId, esc } from './escape.js';
import { burstChart, revocationChart } from './html-charts.js';
import { lifecycleActionText } from './evidence-text.js';
import { REPORT_CSS } from './html-style.js';
import { findingText, placeOf, shownFindings } from './finding-text.js';
import { PRACTICES, PracticeTally } from './practices.js';
import type { FileReporter, ProfilePass } from './reporter.js';
import { FileShelf, MemoryShelf, type TextShelf } from './text-shelf.js';
import { writeThroughPass } from './write-reports.js';
import { joined, writeText } from './write-text.js';

export const htmlReporter: FileReporter = {
  name: 'html',
  write(result, outDir) {
    return writeThroughPass(result, htmlPass(result, outDir));
  },
  pass: htmlPass,
};

/** report.html's first pass: the cards wait on disk (a shelf) between being rendered, profile by profile, and written, failures first. */
function htmlPass(result: RunResult<ProfileSource>, outDir: string): ProfilePass {
  const file = join(outDir, 'report.html');
  const shelf = new FileShelf(join(outDir, `.report.html.${randomBytes(6).toString('hex')}.shelf`));
  const indexer = new RunIndexer(result, shelf);
  return {
    add: (run) => indexer.add(run),
    write: async () => {
      await writeText(file, htmlPieces(result, indexer.done(), shelf));
      return [file];
    },
    close: () => shelf.close(),
  };
}

/** Per card; the rest stay in results.json (the card says how many). */
const MAX_EXCHANGES_SHOWN = 25;
/**
 * Above this many checks, passed and skipped cards list their exchanges one
 * line each (headers and bodies stay in results.json), so a run of 10,000
 * checks still opens in a browser in seconds.
 */
const FULL_EVIDENCE_UP_TO = 500;
const MAX_BODY_SHOWN = 4000;

const VERDICT_ORDER: Record<Verdict, number> = { fail: 0, error: 1, skip: 2, pass: 3 };
const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const VERDICT_WORD: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' };
const CHART_LEGEND = {
  revocation:
    '<span class="dot" data-c="grey"></span>accepted before the disable <span class="dot" data-c="red"></span>accepted after the disable (a defect) <span class="dot" data-c="green"></span>rejected <span class="dot" data-c="orange"></span>throttled (429, neither) <span class="dot" data-c="hollow"></span>no response · the blue band is the stability window in which every probe must be rejected',
  burst:
    'Each step is one call: the green line counts accepted calls, the orange one throttled calls; the accepted line should level off at the dashed expected limit.',
} as const;
const LAUNCH_WORD = { pass: 'Ready to launch', fail: 'Do not launch', error: 'Not verified' } as const;

// Progressive enhancement only: the report reads the same without it.
const SCRIPT = `(function(){
var cards=function(){return document.querySelectorAll('details.card');};
var bar=document.getElementById('toolbar'); if(bar){bar.hidden=false;}
var set=function(open,onlyPassed){cards().forEach(function(d){if(!onlyPassed||d.classList.contains('v-pass')||d.classList.contains('v-skip')){d.open=open;}});};
var b1=document.getElementById('expand-all'); if(b1){b1.addEventListener('click',function(){set(true,false);});}
var b2=document.getElementById('collapse-passed'); if(b2){b2.addEventListener('click',function(){set(false,true);});}
var openTarget=function(){var id=decodeURIComponent(location.hash.slice(1)); var el=id&&document.getElementById(id); if(el&&el.tagName==='DETAILS'){el.open=true;}};
window.addEventListener('hashchange',openTarget); openTarget();
var closed=[];
window.addEventListener('beforeprint',function(){closed=Array.prototype.filter.call(document.querySelectorAll('details'),function(d){return !d.open;}); closed.forEach(function(d){d.open=true;});});
window.addEventListener('afterprint',function(){closed.forEach(function(d){d.open=false;}); closed=[];});
})();`;
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`;

interface Placed {
  readonly check: CheckResult;
  readonly run: ProfileRun;
  readonly anchor: string;
}

/** Where a check's card goes in the report, and its number on the shelf once rendered. */
interface CardPlace {
  readonly verdict: Verdict;
  readonly gating: boolean;
  readonly severity: Severity;
  /** Its place in profile order. */
  readonly seq: number;
}

/** The practices table's row for one practice, gathered check by check. */
interface PracticeEntry {
  readonly tally: PracticeTally;
  /** Failures and errors (the first 100), then passes and skips (the first 30): the chips that can be shown, with their place. */
  readonly bad: { seq: number; chip: string }[];
  readonly rest: { seq: number; chip: string }[];
}

/** What the report needs to know of the whole run before it writes a line, from one pass over the profiles. */
interface RunIndex {
  readonly counts: Record<Verdict, number>;
  checks: number;
  gating: number;
  readonly keyNames: Set<string>;
  /** The first three profiles, for the banner. */
  readonly first: ProfileRun['profile'][];
  readonly practices: Map<PracticeName, PracticeEntry>;
  readonly cards: CardPlace[];
  /** Each card's number on the shelf, by its place in profile order (CardPlace.seq). */
  readonly cardsOnShelf: number[];
  /** Passed and skipped cards list their exchanges one line each (FULL_EVIDENCE_UP_TO). */
  compact: boolean;
  /** Each profile's facts on the shelf, and its notes (absent: it has none). */
  readonly facts: number[];
  readonly notes: number[];
}

/** report.html as one string (tests, the PDF), its cards kept in memory. */
export function renderHtml(result: RunResult<ProfileSource>): string {
  const shelf = new MemoryShelf();
  const indexer = new RunIndexer(result, shelf);
  for (const run of result.profiles) indexer.add(run);
  return joined(htmlPieces(result, indexer.done(), shelf));
}

/**
 * report.html a piece at a time, from what the indexer gathered reading the
 * profiles once: what the banner and the practices table count, each
 * profile's facts, and every check's card, rendered onto the shelf, from
 * which the cards are written in the order the report shows them (failures
 * first).
 */
function* htmlPieces(result: RunResult<ProfileSource>, index: RunIndex, shelf: TextShelf): Generator<string> {
  const keyNames = [...index.keyNames].join(', ');
  yield `${[
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<meta name="generator" content="${esc(`${result.tool.name} ${result.tool.version}`)}">`,
    `<title>${esc(`${LAUNCH_WORD[result.verdict]} — ${keyNames || 'no profile'} — keyprobe ${result.runId}`)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    banner(result, index),
    '<main>',
    // (The sent cleanups' section, when there is one, starts with its own line break: the page is otherwise as before.)
    cleanupSection(result) + sentSection(result),
  ].join('\n')}\n`;
  yield* runSection(result, index, shelf);
  yield `\n${practicesSection(result, index)}\n`;
  yield* checksSection(index, shelf);
  yield `\n${[signoffSection(result), footer(result), '</main>', `<script>${SCRIPT}</script>`, '</body>', '</html>', ''].join('\n')}`;
}

/** Reads the run profile by profile (add), rendering onto the shelf, into what the report needs to know of it all (done). */
class RunIndexer {
  private readonly index: RunIndex = {
    counts: { pass: 0, fail: 0, error: 0, skip: 0 },
    checks: 0,
    gating: 0,
    keyNames: new Set(),
    first: [],
    practices: new Map(PRACTICES.map((p) => [p.name, { tally: new PracticeTally(), bad: [], rest: [] }])),
    cards: [],
    cardsOnShelf: [],
    compact: false,
    facts: [],
    notes: [],
  };
  private readonly many: boolean;
  /**
   * Profiles whose cards were rendered with full evidence before the run turned out to have more than
   * FULL_EVIDENCE_UP_TO checks: rendered again, compact, by done() (a few profiles, read a second time).
   */
  private renderedFull = 0;
  private readonly firstSeqs: number[] = [];
  /** The next profile's place in profile order. */
  private pi = 0;

  constructor(
    private readonly result: RunResult<ProfileSource>,
    private readonly shelf: TextShelf,
  ) {
    this.many = result.profiles.length > 1;
  }

  add(run: ProfileRun): void {
    const { index, many, pi } = this;
    index.keyNames.add(run.profile.keyName);
    if (index.first.length < 3) index.first.push(run.profile);
    const firstSeq = index.checks;
    if (!index.compact) this.firstSeqs.push(firstSeq);
    for (const [ci, c] of run.checks.entries()) {
      const seq = index.checks++;
      index.counts[c.verdict]++;
      if (c.gating) index.gating++;
      index.cards.push({ verdict: c.verdict, gating: c.gating, severity: c.severity, seq });
      const practice = c.practice && index.practices.get(c.practice);
      if (!practice) continue;
      practice.tally.add(c);
      const bad = c.verdict === 'fail' || c.verdict === 'error';
      const chips = bad ? practice.bad : practice.rest;
      if (chips.length < (bad ? MAX_BAD_CHIPS : MAX_CHIPS)) chips.push({ seq, chip: chip(c, anchorOf(pi, c, ci), run, many) });
    }
    if (!index.compact && index.checks > FULL_EVIDENCE_UP_TO) {
      index.compact = true;
      this.renderedFull = pi;
    }
    putCards(run, pi, firstSeq, index, this.shelf, many);
    index.facts.push(this.shelf.put(profileFacts(run)));
    const notes = run.notes.map((n) => `<li>${esc(many ? `${run.profile.keyName}: ${n}` : n)}</li>`).join('');
    if (notes) index.notes.push(this.shelf.put(notes));
    this.pi++;
  }

  /** What the report needs to know of the whole run, once every profile was added. */
  done(): RunIndex {
    const { index, firstSeqs, shelf, many } = this;
    for (let i = 0; i < this.renderedFull; i++) putCards(this.result.profiles.at(i)!, i, firstSeqs[i]!, index, shelf, many);
    return index;
  }
}

/** Renders the cards of the pi-th profile (its first check being the firstSeq-th of the run) onto the shelf. */
function putCards(run: ProfileRun, pi: number, firstSeq: number, index: RunIndex, shelf: TextShelf, many: boolean): void {
  for (const [ci, check] of run.checks.entries())
    index.cardsOnShelf[firstSeq + ci] = shelf.put(card({ check, run, anchor: anchorOf(pi, check, ci) }, many, index.compact));
}

/** The anchor of the ci-th check of the pi-th profile (both from 0). */
function anchorOf(pi: number, c: CheckResult, ci: number): string {
  return `check-${pi + 1}-${anchorId(c.id)}-${ci + 1}`;
}

function banner(result: RunResult<ProfileSource>, index: RunIndex): string {
  const count = (v: Verdict) => index.counts[v];
  const profiles = result.profiles.length;
  return `<header class="banner v-${result.verdict}" id="verdict"><div class="inner">
<div class="kicker">keyprobe launch verdict · suite ${esc(result.suite.name)}</div>
<h1>${esc(LAUNCH_WORD[result.verdict])}: ${esc(result.verdict.toUpperCase())}</h1>
<p>${esc(explainExitCode(result.exitCode))}.</p>
${reasonsList(result)}
<p>${index.first
    .map((p) => `Key <strong>${esc(p.keyName)}</strong> (${esc(p.keyFingerprint)}) against ${esc(p.targetOrigin)}`)
    .join('<br>')}${profiles > 3 ? `<br>and ${profiles - 3} more keys` : ''}</p>
<p>Run by ${esc(result.operator)} on ${esc(utc(result.startedAt))} with ${esc(result.tool.name)} ${esc(result.tool.version)}</p>
<p class="counts"><span>${count('pass')} passed</span><span>${count('fail')} failed</span><span>${count('error')} not verified (error)</span><span>${count('skip')} skipped</span><span>${index.checks} checks, ${index.gating} gating</span></p>
${result.incomplete ? '<p class="warning">The run was interrupted: results are incomplete and cannot support a launch decision.</p>' : ''}
${result.requiredLeftOut?.length ? `<p class="warning">Left out with --only/--skip, so not part of this verdict: required ${esc(result.requiredLeftOut.join(', '))}.</p>` : ''}
</div></header>`;
}

function reasonsList(result: RunResult<ProfileSource>): string {
  if (result.verdict !== 'error') return '';
  const reasons = notVerifiedReasons(result);
  return reasons.length ? `<ul class="reasons">${reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
}

/** Right under the verdict: every key keyprobe left changed on the target, and the exact way to restore it. */
function cleanupSection(result: Pick<RunResult, 'cleanup'>): string {
  const left = unfinishedCleanups(result);
  if (left.length === 0) return '';
  const items = left.map(
    (
      r,
    ) => `<li><strong>${esc(r.key)}</strong>${r.keyId ? ` (id <code>${esc(r.keyId)}</code>)` : ''} — ${esc(r.subject)} of ${esc(r.profile)}, left <strong>${esc(r.leftState ?? 'changed')}</strong>
<div>${esc(r.check)}: ${esc(r.action === 'enable' ? 're-enable' : 'delete')} ${r.outcome === 'failed' ? 'failed' : 'not verified'}: ${esc(r.detail)}</div>
<div class="caption">Restore with</div><pre>${esc(r.restore ?? 'your key management console')}</pre></li>`,
  );
  const token = left.some((r) => r.restore?.includes('$ADMIN_TOKEN'))
    ? '<p>$ADMIN_TOKEN: the management credential the profile references in lifecycle.http.credential.secret.</p>'
    : '';
  return `<section id="cleanup" class="cleanup-alert"><h2>Cleanup incomplete: the target was left changed</h2>
<p>keyprobe could not put ${left.length === 1 ? 'this key' : `these ${left.length} keys`} back as it found ${left.length === 1 ? 'it' : 'them'} (or could not see that it had). Until restored by hand, the launch is not verified.</p>
<ul>${items.join('\n')}</ul>
${token}</section>`;
}

/** Cleanups sent but not verifiable by probing: named under the verdict (not red: nothing is known to be left changed). */
function sentSection(result: Pick<RunResult, 'cleanup'>): string {
  const sent = sentCleanups(result);
  if (sent.length === 0) return '';
  const list = `<ul class="advisories">${sent.map((r) => `<li>${esc(sentLine(r))}</li>`).join('\n')}</ul>`;
  // Two per profile in a big run: folded away beyond a few, still in the print (the script opens every details).
  const body = sent.length <= 5 ? list : `<details><summary>${sent.length} cleanups</summary>\n${list}</details>`;
  return `\n<section id="cleanup-sent"><h2>${esc(sentHeading(sent.length))}</h2>\n${body}</section>`;
}

function fact(label: string, value: string, mono = false, small = ''): string {
  return `<div><dt>${esc(label)}</dt><dd${mono ? ' class="mono"' : ''}>${esc(value)}${small ? `<small class="mono">${esc(small)}</small>` : ''}</dd></div>`;
}

function profileFacts(r: ProfileRun): string {
  return `<h3>Key ${esc(r.profile.keyName)}</h3>
<dl class="facts">
${fact('Key name', r.profile.keyName)}
${fact('Key fingerprint', r.profile.keyFingerprint, true)}
${fact('Environment', r.profile.targetEnvironment !== r.profile.environment ? `${r.profile.environment} (target serves ${r.profile.targetEnvironment})` : r.profile.environment)}
${fact('Target origin', r.profile.targetOrigin, true)}
${fact('Owner', r.profile.owner ?? 'not declared')}
${fact('Expires', r.profile.expires ? utc(r.profile.expires) : 'not declared')}
${fact('Profile', r.profile.file, true, `sha256:${r.profile.digest}`)}
${fact('Requests sent / budget', `${r.requestsSent} / ${r.requestBudget}`)}
</dl>`;
}

function* runSection(result: RunResult<ProfileSource>, index: RunIndex, shelf: TextShelf): Generator<string> {
  yield `<section id="run"><h2>Who ran what, when</h2>
<dl class="facts">
${fact('Run by (operator)', result.operator)}
${fact('Started (UTC)', utc(result.startedAt))}
${fact('Duration', `${(result.durationMs / 1000).toFixed(1)} s`)}
${fact('Tool', `${result.tool.name} ${result.tool.version}`)}
${fact('Suite', result.suite.name, false, result.suite.file)}
${fact('Run id', result.runId, true)}
</dl>
`;
  if (index.facts.length === 0) yield '<p>No profile was run.</p>';
  for (const [i, id] of index.facts.entries()) yield `${i === 0 ? '' : '\n'}${shelf.get(id)}`;
  yield '\n';
  if (index.notes.length > 0) {
    yield '<ul class="notes">';
    for (const id of index.notes) yield shelf.get(id);
    yield '</ul>';
  }
  yield `
<p class="notes">Keys appear only as fingerprints (sha256 of the key, first 8 hex digits); a run scans every file it writes, and everything it prints, for every secret it resolved (exit 4 if one is found).</p>
</section>`;
}

/** Every failure and error (up to 100), then passes and skips up to 30 chips in all. */
const MAX_BAD_CHIPS = 100;
const MAX_CHIPS = 30;

function chip(c: CheckResult, anchor: string, run: ProfileRun, many: boolean): string {
  return `<a class="chip v-${c.verdict}" href="#${esc(anchor)}" title="${esc(c.message)}">${esc(VERDICT_WORD[c.verdict])} ${esc(c.id)}${many ? ` · ${esc(run.profile.keyName)}` : ''}</a>`;
}

function practicesSection(result: RunResult<ProfileSource>, index: RunIndex): string {
  const rows = PRACTICES.map((practice) => {
    const { tally, bad, rest } = index.practices.get(practice.name)!;
    const shown = [...bad, ...rest.slice(0, Math.max(0, MAX_CHIPS - bad.length))].sort((a, b) => a.seq - b.seq);
    const hidden = tally.count - shown.length;
    const chips = tally.count
      ? shown.map((s) => s.chip).join(' ') +
        (hidden > 0 ? ` <span class="more">and ${hidden.toLocaleString('en-US')} more that passed or were skipped</span>` : '')
      : '<span class="more">no check of this suite covers it</span>';
    const status = tally.status;
    return `<tr><td>${esc(practice.name)}</td><td><span class="badge s-${status.replace(/[^a-z]+/g, '-')}">${esc(status)}</span></td><td><div class="means">${esc(practice.means)}</div>${chips}</td></tr>`;
  });
  rows.push(
    `<tr><td>Audit</td><td><span class="badge s-recorded">${result.incomplete ? 'partial' : 'recorded'}</span></td><td><div class="means">This run is the audit record: who ran it (${esc(result.operator)}), when, against which target with which key fingerprint, and every exchange. results.json next to this file holds the full result; manifest.sha256 the digests of every file of the run (check with <code>sha256sum -c manifest.sha256</code>).</div><span class="chip mono">run ${esc(result.runId)}</span></td></tr>`,
  );
  return `<section id="practices"><h2>Key practices</h2>
<table class="practices"><thead><tr><th>Practice</th><th>Status</th><th>What it means · the checks behind it</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></section>`;
}

/**
 * The cards, failures and errors first (gating before advisory, then by
 * severity, then in profile order), then skips, then passes: written from
 * the shelf, where RunIndexer rendered them in profile order.
 */
function* checksSection(index: RunIndex, shelf: TextShelf): Generator<string> {
  const compact = index.compact;
  const ordered = [...index.cards].sort(
    (a, b) =>
      VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] ||
      Number(b.gating) - Number(a.gating) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.seq - b.seq,
  );
  const groups: [string, CardPlace[]][] = [
    ['Needs attention', ordered.filter((p) => p.verdict === 'fail' || p.verdict === 'error')],
    ['Skipped', ordered.filter((p) => p.verdict === 'skip')],
    ['Passed', ordered.filter((p) => p.verdict === 'pass')],
  ];
  yield `<section id="checks"><h2>Checks</h2>
<div class="toolbar" id="toolbar" hidden><button type="button" id="expand-all">Expand all</button><button type="button" id="collapse-passed">Collapse passed and skipped</button><span>Failures and errors come first and are open; passed checks are collapsed.</span></div>
${compact ? `<p class="notes">This run has ${index.checks.toLocaleString('en-US')} checks: passed and skipped checks list their exchanges one line each; their headers and bodies are in results.json.</p>` : ''}
`;
  let first = true;
  for (const [title, items] of groups) {
    if (items.length === 0) continue;
    yield `${first ? '' : '\n'}<h3 class="group-title">${esc(title)} (${items.length})</h3>`;
    for (const item of items) yield `\n${shelf.get(index.cardsOnShelf[item.seq]!)}`;
    first = false;
  }
  if (first) yield '<p>No check ran.</p>';
  yield '\n</section>';
}

function card({ check: c, run, anchor }: Placed, many: boolean, compact: boolean): string {
  const open = c.verdict === 'fail' || c.verdict === 'error' ? ' open' : '';
  const chips = [
    `<span class="chip sev-${c.severity}">${esc(c.severity)}</span>`,
    `<span class="chip">${c.gating ? 'gating' : 'advisory — does not gate'}</span>`,
    c.destructive ? `<span class="chip">${esc(destructiveWords(c))}</span>` : '',
    many ? `<span class="chip">${esc(run.profile.keyName)}</span>` : '',
    `<span class="chip">${esc(formatMs(c.durationMs))}</span>`,
  ].join('');
  const parts: string[] = [];
  const ev: string[] = [];
  if (c.expected !== undefined) ev.push(`<dt>Expected</dt><dd>${esc(c.expected)}</dd>`);
  if (c.observed !== undefined) ev.push(`<dt>Observed</dt><dd>${esc(c.observed)}</dd>`);
  ev.push(`<dt>Started</dt><dd>${esc(utc(c.startedAt))}</dd>`);
  parts.push(`<dl class="ev">${ev.join('')}</dl>`);
  const findings = shownFindings(c);
  if (findings.length)
    parts.push(
      `<h4>Findings (${findings.length})</h4>`,
      `<ul class="findings">${findings.map((f) => `<li><span class="chip sev-${f.severity}">${esc(f.severity)}</span> ${f.location ? `<code class="where">${esc(placeOf(f.location))}</code> ` : ''}${esc(findingText({ ...f, location: undefined }, c))}</li>`).join('')}</ul>`,
    );
  if (c.advisories.length) parts.push(`<ul class="advisories">${c.advisories.map((a) => `<li>${esc(a)}</li>`).join('')}</ul>`);
  const measured = Object.entries(c.measurements);
  if (measured.length)
    parts.push(
      `<table class="measurements"><thead><tr><th>Measurement</th><th>Value</th></tr></thead><tbody>${measured.map(([k, v]) => `<tr><th class="mono">${esc(k)}</th><td>${esc(formatMeasurement(v))}</td></tr>`).join('')}</tbody></table>`,
    );
  if (c.timeline)
    parts.push(
      `<figure class="chart-box">${c.timeline.kind === 'revocation' ? revocationChart(c.timeline) : burstChart(c.timeline)}<figcaption>${CHART_LEGEND[c.timeline.kind]}</figcaption></figure>`,
    );
  if (c.lifecycleActions?.length) {
    parts.push(
      `<h4>Lifecycle actions (${c.lifecycleActions.length})</h4>`,
      `<ul class="brief lifecycle">${c.lifecycleActions.map((a) => `<li class="mono">${esc(lifecycleActionText(a))}</li>`).join('')}</ul>`,
    );
  }
  if (c.evidence.length) {
    const shown = c.evidence.slice(0, MAX_EXCHANGES_SHOWN);
    const brief = compact && (c.verdict === 'pass' || c.verdict === 'skip');
    parts.push(
      `<h4>Exchanges (${c.evidence.length})</h4>`,
      ...(brief ? [`<ul class="brief">${shown.map(exchangeLine).join('')}</ul>`] : shown.map((e) => exchange(e, opensFor(c, e)))),
    );
    if (c.evidence.length > shown.length)
      parts.push(`<p class="more">${c.evidence.length - shown.length} more exchanges are in results.json.</p>`);
  }
  return `<details class="card v-${c.verdict}" id="${esc(anchor)}"${open}>
<summary><span class="badge v-${c.verdict}">${VERDICT_WORD[c.verdict]}</span><span class="title">${esc(c.title)}</span><code class="id">${esc(c.id)}</code>${chips}<span class="msg">${esc(c.message)}</span></summary>
<div class="card-body">${parts.join('\n')}</div>
</details>`;
}

/** Which key a destructive check acted on, for its badge. */
function destructiveWords(c: CheckResult): string {
  if (!c.actedOn) return c.verdict === 'skip' ? 'destructive (did not run)' : 'destructive (acted on no key)';
  return `destructive — acted on the ${c.actedOn.replace(/(^|, )own key /g, "$1profile's own key ")}`;
}

/**
 * An exchange is open when the check failed on it (or it got no answer in a
 * check that could not be verified); every other exchange shows one line until
 * clicked (all open in print).
 */
function opensFor(c: CheckResult, e: Exchange): boolean {
  if (c.verdict === 'pass' || c.verdict === 'skip') return false;
  return e.failing === true || (c.verdict === 'error' && e.status === undefined);
}

function exchange(e: Exchange, open: boolean): string {
  const statusClass = e.status === undefined ? 'none' : e.status < 400 ? 'ok' : e.status < 500 ? 'client' : 'server';
  const statusText = e.status === undefined ? `no response: ${e.error ?? 'unknown error'}` : String(e.status);
  const headerRows = [
    ...Object.entries(e.requestHeaders).map(([k, v]) => `<tr><th>→ ${esc(k)}</th><td>${esc(v)}</td></tr>`),
    ...Object.entries(e.responseHeaders).map(([k, v]) => `<tr><th>← ${esc(k)}</th><td>${esc(v)}</td></tr>`),
  ];
  const body = e.bodyExcerpt.length > MAX_BODY_SHOWN ? `${e.bodyExcerpt.slice(0, MAX_BODY_SHOWN)}…` : e.bodyExcerpt;
  const cut = e.bodyTruncated || e.bodyExcerpt.length > MAX_BODY_SHOWN;
  return `<details class="exchange${e.failing ? ' failing' : ''}"${open ? ' open' : ''}>
<summary class="head"><span class="label">${esc(e.label)}</span><code>${esc(e.method)} ${esc(e.path)}</code><span class="status ${statusClass}">${esc(statusText)}</span><span class="timing">${esc(formatMs(e.durationMs))} · at +${esc(formatMs(e.atMs))}</span></summary>
${headerRows.length ? `<table class="headers">${headerRows.join('')}</table>` : ''}
${body ? `<div class="caption">Response body${cut ? ' (excerpt)' : ''}</div><pre>${esc(body)}</pre>` : ''}
<div class="caption">Reproduce</div><pre class="curl">${esc(e.curl)}</pre>
</details>`;
}

function exchangeLine(e: Exchange): string {
  return `<li><code>${esc(e.method)} ${esc(e.path)}</code> → ${esc(e.status ?? `no response: ${e.error ?? 'unknown error'}`)} · ${esc(formatMs(e.durationMs))} — ${esc(e.label)}</li>`;
}

function signoffSection(result: Pick<RunResult, 'operator' | 'finishedAt'>): string {
  return `<section id="signoff" class="signoff"><h2>Sign-off</h2>
<table>
<thead><tr><th></th><th>Name</th><th>Signature</th><th>Date</th></tr></thead>
<tbody>
<tr><th>Prepared by</th><td>${esc(result.operator)}</td><td class="blank"></td><td>${esc(utc(result.finishedAt).slice(0, 10))}</td></tr>
<tr><th>Reviewed by</th><td class="blank"></td><td class="blank"></td><td class="blank"></td></tr>
</tbody></table>
<p class="boxes"><strong>Decision:</strong> <span>☐ Approved for launch</span><span>☐ Approved with conditions</span><span>☐ Not approved</span></p>
<div class="conditions">Conditions and notes</div>
</section>`;
}

function footer(result: Pick<RunResult, 'tool' | 'runId' | 'schemaVersion'>): string {
  return `<footer>Generated by ${esc(result.tool.name)} ${esc(result.tool.version)} from run ${esc(result.runId)} (result schema ${esc(result.schemaVersion)}). This file is self-contained: it loads nothing from the network. Files of this run: results.json, junit.xml, report.html, manifest.sha256.</footer>`;
}

function utc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '')} UTC`;
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms * 10) / 10} ms`;
}

function formatMeasurement(v: Measurement): string {
  return typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : String(Math.round(v * 1000) / 1000)) : String(v);
}
