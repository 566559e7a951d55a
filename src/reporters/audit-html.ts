// report.html for `keyprobe audit`: one self-contained file (inline CSS and a
// small inline script, nothing from the network) for the security team: the
// verdict, the inventory's health at a glance (keys by environment and by
// owner, findings by severity), the trend since a baseline, a findings table
// sortable by severity with each finding's status (new, persisting, waived —
// by whom, why, until when), the keys a rule could not judge, and one
// section per rule. Everything shown is escaped; it holds names and ids only.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditReport, RuleOutcome } from '../audit/audit.js';
import type { ItemAcceptance } from '../governance/acceptance.js';
import { describeWaiver, waiverLabel } from '../governance/waivers.js';
import type { Severity } from '../result.js';
import { anchorId, esc } from './escape.js';
import type { FileReporter } from './reporter.js';

/** Rows in the findings table; every finding is in findings.json. */
const MAX_TABLE_ROWS = 2000;
/** Keys listed in each rule's section. */
const MAX_SECTION_ROWS = 200;
/** Owners listed by name; the rest are summed up. */
const MAX_OWNERS = 15;

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export function auditHtmlReporter(report: AuditReport): FileReporter {
  return {
    name: 'audit-html',
    async write(_result, outDir) {
      const file = join(outDir, 'report.html');
      await writeFile(file, renderAuditHtml(report), 'utf8');
      return [file];
    },
  };
}

export function renderAuditHtml(report: AuditReport): string {
  const r = report.result;
  const inv = report.inventory;
  const broken = report.outcomes.filter((o) => o.findings.length > 0);
  const totalFindings = broken.reduce((n, o) => n + o.findings.length, 0);
  const unjudged = report.outcomes.reduce((n, o) => n + o.notVerifiable.length, 0);
  const bySeverity = new Map<Severity, number>();
  for (const o of broken) bySeverity.set(o.severity, (bySeverity.get(o.severity) ?? 0) + o.findings.length);
  const accepted = report.outcomes.reduce(
    (n, o) => n + [...o.findings, ...o.notVerifiable].filter((x) => x.acceptance && !x.acceptance.counts).length,
    0,
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keyprobe audit — ${esc(inv.source)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="banner ${esc(r.verdict)}">
  <h1>Key inventory audit: ${esc(r.verdict.toUpperCase())}</h1>
  <p>${esc(broken.filter((o) => o.gatingNow).length)} gating rules broken, ${esc(totalFindings)} findings${unjudged ? `, ${esc(unjudged)} not verifiable` : ''}${report.governance ? `, ${esc(accepted)} accepted` : ''} · exit ${esc(r.exitCode)}</p>
</header>
<main>
<section>
  <h2>Who, when, what</h2>
  <table class="meta">
    <tr><th>Inventory</th><td>${esc(inv.source)} (${esc(inv.format)})</td></tr>
    <tr><th>As of</th><td>${esc(report.now)}</td></tr>
    <tr><th>Policy</th><td>${esc(report.policyFile ?? 'built-in defaults')}</td></tr>
    ${report.governance?.baseline ? `<tr><th>Baseline</th><td>${esc(report.governance.baseline.file)} (run ${esc(report.governance.baseline.runId)}${report.governance.baseline.asOf ? `, as of ${esc(report.governance.baseline.asOf)}` : ''})</td></tr>` : ''}
    ${report.governance?.waivers ? `<tr><th>Waivers</th><td>${esc(report.governance.waivers.file)} (${esc(report.governance.waivers.count)} listed)</td></tr>` : ''}
    ${report.governance ? `<tr><th>Gates on</th><td>${report.governance.failOn === 'new' ? 'new findings only (--fail-on new)' : 'every finding not waived (--fail-on any)'}</td></tr>` : ''}
    ${inv.pages !== undefined ? `<tr><th>Read</th><td>${esc(inv.pages)} page${inv.pages === 1 ? '' : 's'} from the management API</td></tr>` : ''}
    <tr><th>Operator</th><td>${esc(r.operator)}</td></tr>
    <tr><th>Tool</th><td>${esc(r.tool.name)} ${esc(r.tool.version)}</td></tr>
    <tr><th>Run</th><td>${esc(r.runId)} · ${esc(r.startedAt)}</td></tr>
    <tr><th>Inventory digest</th><td><code>sha256:${esc(r.profiles[0]?.profile.digest ?? '')}</code></td></tr>
  </table>
</section>
<section>
  <h2>Health at a glance</h2>
  <div class="tiles">
    ${tile('keys audited', inv.keys)}
    ${tile('enabled', inv.enabled)}
    ${tile('rows left out', inv.rows - inv.keys, inv.rows > inv.keys ? 'bad' : '')}
    ${tile('not verifiable', unjudged, unjudged ? 'warn' : '')}
    ${report.governance ? tile('accepted', accepted) : ''}
    ${(['critical', 'high', 'medium', 'low', 'info'] as const).map((s) => tile(`${s} findings`, bySeverity.get(s) ?? 0, (bySeverity.get(s) ?? 0) > 0 ? `sev-${s}` : '')).join('\n    ')}
  </div>
  <div class="columns">
    <div><h3>Keys by environment</h3>${countTable(Object.entries(inv.byEnvironment), inv.keys, 'environment')}</div>
    <div><h3>Keys by owner</h3>${countTable(topOwners(inv.byOwner), inv.keys, 'owner')}</div>
  </div>
</section>
<section>
  <h2>Rules</h2>
  <table class="rules">
    <thead><tr><th>Verdict</th><th>Rule</th><th>Severity</th><th>Gating</th><th class="num">Findings</th><th class="num">Not verifiable</th></tr></thead>
    <tbody>
${report.outcomes.map((o) => `      <tr><td><span class="verdict ${esc(o.verdict)}">${esc(o.verdict.toUpperCase())}</span></td><td><a href="#${esc(anchorId(o.id))}">${esc(o.title)}</a><br><code>${esc(o.id)}</code></td><td><span class="sev sev-${esc(o.severity)}">${esc(o.severity)}</span></td><td>${gatingText(o)}</td><td class="num">${esc(o.findings.length)}</td><td class="num">${esc(o.notVerifiable.length)}</td></tr>`).join('\n')}
    </tbody>
  </table>
</section>
${trendSection(report)}
${waiversSection(report)}
<section>
  <h2>Findings</h2>
  ${findingsTable(report.outcomes, totalFindings, !!report.governance)}
</section>
${notVerifiableSection(report.outcomes, unjudged)}
${report.outcomes.map(ruleSection).join('\n')}
<section class="signoff">
  <h2>Review</h2>
  <table class="meta"><tr><th>Reviewed by</th><td></td></tr><tr><th>Date</th><td></td></tr><tr><th>Actions agreed</th><td></td></tr></table>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function tile(label: string, value: number, cls = ''): string {
  return `<div class="tile ${esc(cls)}"><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
}

function topOwners(byOwner: Readonly<Record<string, number>>): [string, number][] {
  const sorted = Object.entries(byOwner).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (sorted.length <= MAX_OWNERS) return sorted;
  const rest = sorted.slice(MAX_OWNERS);
  return [...sorted.slice(0, MAX_OWNERS), [`${rest.length} other owners`, rest.reduce((n, [, c]) => n + c, 0)]];
}

function countTable(entries: [string, number][], total: number, what: string): string {
  if (entries.length === 0) return `<p class="muted">no keys</p>`;
  const rows = [...entries].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return `<table class="counts"><thead><tr><th>${esc(what)}</th><th class="num">keys</th><th></th></tr></thead><tbody>
${rows.map(([name, n]) => `<tr><td>${esc(name)}</td><td class="num">${esc(n)}</td><td class="bar"><span style="width:${total ? Math.max(1, Math.round((n / total) * 100)) : 0}%"></span></td></tr>`).join('\n')}
</tbody></table>`;
}

function gatingText(o: RuleOutcome): string {
  if (!o.gating) return 'advisory';
  return o.gatingNow ? 'yes' : 'accepted';
}

/** new · persisting · waived (by whom, why, until when) · waiver expired. */
function statusCell(a: ItemAcceptance | undefined): string {
  if (!a) return '';
  const parts: string[] = [];
  if (a.status) parts.push(`<span class="status ${esc(a.status)}">${esc(a.status)}</span>`);
  if (a.waiver) parts.push(`<span class="status waived" title="${esc(describeWaiver(a.waiver))}">waived</span>`);
  if (a.expiredWaiver) parts.push(`<span class="status expired">waiver expired ${esc(a.expiredWaiver.expires)}</span>`);
  return parts.join(' ');
}

function acceptanceNote(a: ItemAcceptance | undefined): string {
  if (!a) return '';
  if (a.waiver) return `<br><span class="muted">${esc(describeWaiver(a.waiver))}</span>`;
  if (a.expiredWaiver)
    return `<br><span class="bad-text">the waiver by ${esc(a.expiredWaiver.owner)} expired ${esc(a.expiredWaiver.expires)}: no longer waived</span>`;
  return '';
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '0';
}

/** What changed since the baseline: findings per rule before and now, new and resolved, keys added and removed. */
function trendSection(report: AuditReport): string {
  const b = report.governance?.baseline;
  if (!b) return '';
  const rows = report.outcomes.map((o) => {
    const before = b.countsByRule[o.id] ?? 0;
    const now = o.findings.length;
    const fresh = [...o.findings, ...o.notVerifiable].filter((x) => x.acceptance?.status === 'new').length;
    const cls = now < before ? 'trend-down' : now > before ? 'trend-up' : '';
    return `<tr><td><code>${esc(o.id)}</code></td><td class="num">${esc(before)}</td><td class="num">${esc(now)}</td><td class="num ${cls}">${esc(signed(now - before))}</td><td class="num">${esc(fresh)}</td><td class="num">${esc(o.resolved.length)}</td></tr>`;
  });
  const totalBefore = Object.values(b.countsByRule).reduce((n, c) => n + c, 0);
  const totalNow = report.outcomes.reduce((n, o) => n + o.findings.length, 0);
  const resolved = report.outcomes.flatMap((o) => o.resolved.map((r) => ({ rule: o.id, r })));
  const keys = (title: string, list: readonly string[] | undefined) =>
    list === undefined
      ? ''
      : `<p><strong>${esc(title)} (${esc(list.length)})</strong>${list.length ? `: ${list.slice(0, MAX_SECTION_ROWS).map(esc).join(', ')}${list.length > MAX_SECTION_ROWS ? ', …' : ''}` : ''}</p>`;
  return `<section class="trend">
  <h2>Since the baseline</h2>
  <p>Run ${esc(b.runId)}${b.asOf ? ` as of ${esc(b.asOf)}` : ''}: ${esc(totalBefore)} findings then, ${esc(totalNow)} now (${esc(signed(totalNow - totalBefore))})${b.keys !== undefined ? `; ${esc(b.keys)} keys then, ${esc(report.inventory.keys)} now` : ''}.</p>
  <table class="trend-table"><thead><tr><th>Rule</th><th class="num">Before</th><th class="num">Now</th><th class="num">Change</th><th class="num">New</th><th class="num">Resolved</th></tr></thead>
  <tbody>
${rows.join('\n')}
  </tbody></table>
  ${keys('Keys added', b.keysAdded)}
  ${keys('Keys removed', b.keysRemoved)}
  ${
    resolved.length
      ? `<h3>Resolved (${esc(resolved.length)})</h3><ul>${resolved
          .slice(0, MAX_SECTION_ROWS)
          .map(
            ({ rule, r }) =>
              `<li><code>${esc(rule)}</code> ${esc(r.name ?? r.id)} <code>${esc(r.id)}</code>${r.detail ? `: ${esc(r.detail)}` : ''}</li>`,
          )
          .join('')}</ul>`
      : ''
  }
</section>`;
}

function waiversSection(report: AuditReport): string {
  const w = report.governance?.waivers;
  if (!w || (w.expired.length === 0 && w.unused.length === 0)) return '';
  return `<section class="waivers">
  <h2>Waivers to review</h2>
  ${w.expired.length ? `<h3>Expired: no longer waiving</h3><ul>${w.expired.map((x) => `<li>${esc(waiverLabel(x))} — ${esc(x.owner)}, expired ${esc(x.expires)}: ${esc(x.reason)}</li>`).join('')}</ul>` : ''}
  ${w.unused.length ? `<h3>Matched nothing in this audit</h3><ul>${w.unused.map((x) => `<li>${esc(waiverLabel(x))} — ${esc(x.owner)}: ${esc(x.reason)}</li>`).join('')}</ul>` : ''}
</section>`;
}

function notVerifiableSection(outcomes: readonly RuleOutcome[], total: number): string {
  if (total === 0) return '';
  const parts = outcomes
    .filter((o) => o.notVerifiable.length > 0)
    .map(
      (o) =>
        `<h3><code>${esc(o.id)}</code> (${esc(o.notVerifiable.length)})</h3><ul>${o.notVerifiable
          .slice(0, MAX_SECTION_ROWS)
          .map(
            (n) =>
              `<li>${esc(n.key.name ?? n.key.id)} <code>${esc(n.key.id)}</code>: ${esc(n.reason)} ${statusCell(n.acceptance)}${acceptanceNote(n.acceptance)}</li>`,
          )
          .join(
            '',
          )}</ul>${o.notVerifiable.length > MAX_SECTION_ROWS ? `<p class="muted">… and ${esc(o.notVerifiable.length - MAX_SECTION_ROWS)} more (findings.json lists them all).</p>` : ''}`,
    );
  return `<section class="unjudged">
  <h2>Not verifiable</h2>
  <p class="muted">The inventory does not record what these rules need for these keys: they are neither passed nor failed. Record the field, or map it (--mapping), to have them judged.</p>
  ${parts.join('\n')}
</section>`;
}

function findingsTable(outcomes: readonly RuleOutcome[], total: number, withStatus: boolean): string {
  if (total === 0) return '<p class="ok">No findings: every rule holds for every key.</p>';
  const rows: string[] = [];
  const ordered = [...outcomes].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  outer: for (const o of ordered) {
    for (const f of o.findings) {
      if (rows.length >= MAX_TABLE_ROWS) break outer;
      rows.push(
        `<tr><td data-rank="${SEVERITY_RANK[o.severity]}"><span class="sev sev-${esc(o.severity)}">${esc(o.severity)}</span></td><td><a href="#${esc(anchorId(o.id))}"><code>${esc(o.id)}</code></a></td><td>${esc(f.key.name ?? '')}</td><td><code>${esc(f.key.id)}</code></td><td>${esc(f.key.environment ?? '')}</td><td>${esc(f.key.owner ?? '')}</td><td class="num">${esc(f.key.row)}</td><td>${esc(f.detail)}${acceptanceNote(f.acceptance)}</td>${withStatus ? `<td>${statusCell(f.acceptance)}</td>` : ''}</tr>`,
      );
    }
  }
  const note =
    total > rows.length
      ? `<p class="muted">Showing the first ${rows.length} of ${total} findings, most severe first; findings.json lists them all.</p>`
      : '';
  return `${note}<p class="muted">Click a column heading to sort.</p>
<table class="findings sortable">
<thead><tr><th data-sort="rank" aria-sort="ascending">Severity ▾</th><th data-sort="text">Rule</th><th data-sort="text">Key</th><th data-sort="text">Id</th><th data-sort="text">Environment</th><th data-sort="text">Owner</th><th data-sort="num" class="num">Row</th><th data-sort="text">Finding</th>${withStatus ? '<th data-sort="text">Status</th>' : ''}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function ruleSection(o: RuleOutcome): string {
  const shown = o.findings.slice(0, MAX_SECTION_ROWS);
  const list = shown.length
    ? `<ul>${shown.map((f) => `<li><strong>${esc(f.key.name ?? f.key.id)}</strong> <code>${esc(f.key.id)}</code>, row ${esc(f.key.row)}${f.key.line !== undefined ? ` (line ${esc(f.key.line)})` : ''}: ${esc(f.detail)} ${statusCell(f.acceptance)}${acceptanceNote(f.acceptance)}</li>`).join('')}</ul>${o.findings.length > shown.length ? `<p class="muted">… and ${esc(o.findings.length - shown.length)} more (findings.json lists them all).</p>` : ''}`
    : `<p class="${o.verdict === 'skip' ? 'muted' : o.verdict === 'error' ? 'bad-text' : 'ok'}">${o.verdict === 'skip' ? 'Switched off in the audit policy.' : o.verdict === 'error' ? `No key breaks this rule, but it could not judge ${esc(o.notVerifiable.length)} (see Not verifiable).` : 'No key breaks this rule.'}</p>`;
  return `<section class="rule ${esc(o.verdict)}" id="${esc(anchorId(o.id))}">
  <h2><span class="verdict ${esc(o.verdict)}">${esc(o.verdict.toUpperCase())}</span> ${esc(o.title)}</h2>
  <p><code>${esc(o.id)}</code> · <span class="sev sev-${esc(o.severity)}">${esc(o.severity)}</span> · ${!o.gating ? 'advisory' : o.gatingNow ? 'gating' : 'gating, but every finding is accepted'} · ${esc(o.findings.length)} findings${o.notVerifiable.length ? ` · ${esc(o.notVerifiable.length)} not verifiable` : ''}${o.resolved.length ? ` · ${esc(o.resolved.length)} resolved since the baseline` : ''}</p>
  <p>${esc(o.description)}</p>
  ${list}
</section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:0 16px 32px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:16px 0}
h1{margin:0;font-size:22px}h2{font-size:17px;margin:4px 0 10px}h3{font-size:14px;margin:8px 0}
.banner{padding:16px 24px;color:#fff}.banner.pass{background:#1f7a3d}.banner.fail{background:#b3261e}.banner.error{background:#a86400}
.banner p{margin:4px 0 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceff3;vertical-align:top}
th{font-weight:600;background:#fafbfc}.meta th{width:160px}.num{text-align:right}
.tiles{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}.tile{border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;min-width:110px}
.tile .value{font-size:22px;font-weight:700}.tile .label{color:#5b6472;font-size:12px}.tile.bad{border-color:#b3261e}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.bar{width:40%}.bar span{display:inline-block;height:10px;background:#4a6fa5;border-radius:2px}
.verdict{font-weight:700;font-size:12px;padding:1px 6px;border-radius:3px;color:#fff}.verdict.pass{background:#1f7a3d}.verdict.fail{background:#b3261e}.verdict.skip{background:#7b8494}.verdict.error{background:#a86400}
.sev{font-size:12px;padding:1px 6px;border-radius:3px;border:1px solid currentColor}
.sev-critical{color:#8e1a14}.sev-high{color:#b3261e}.sev-medium{color:#a86400}.sev-low{color:#4a6fa5}.sev-info{color:#5b6472}
.tile.sev-critical,.tile.sev-high{border-color:#b3261e}
.sortable th[data-sort]{cursor:pointer;user-select:none}
.muted{color:#5b6472}.ok{color:#1f7a3d}.bad-text{color:#b3261e}code{font-size:12px}
.tile.warn{border-color:#a86400}
.status{font-size:11px;padding:1px 5px;border-radius:3px;border:1px solid currentColor;white-space:nowrap}
.status.new{color:#b3261e}.status.persisting{color:#5b6472}.status.waived{color:#1f7a3d}.status.expired{color:#a86400}
.trend-down{color:#1f7a3d}.trend-up{color:#b3261e}
@media print{body{background:#fff}section{break-inside:avoid-page;border:none}.sortable th{cursor:auto}.columns{display:block}}
`;

// Sorts the findings table by the clicked column; severity by its rank, row numerically.
const SCRIPT = `
(function(){
  var table=document.querySelector('table.sortable');if(!table)return;
  var heads=table.querySelectorAll('th[data-sort]');
  heads.forEach(function(th,col){
    th.addEventListener('click',function(){
      var kind=th.getAttribute('data-sort');
      var asc=th.getAttribute('aria-sort')!=='ascending';
      heads.forEach(function(h){h.removeAttribute('aria-sort');h.textContent=h.textContent.replace(/ [▴▾]$/,'');});
      th.setAttribute('aria-sort',asc?'ascending':'descending');th.textContent+=asc?' ▾':' ▴';
      var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      var key=function(r){var c=r.cells[col];if(kind==='rank')return Number(c.getAttribute('data-rank'));if(kind==='num')return Number(c.textContent);return c.textContent.toLowerCase();};
      rows.sort(function(a,b){var x=key(a),y=key(b);var d=x<y?-1:x>y?1:0;return asc?d:-d;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
})();
`;
