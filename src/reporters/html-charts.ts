// The report's two charts as inline SVG (no script, no external anything):
// the revocation timeline and the rate-limit burst chart. Both are drawn from
// the timeline a check recorded; nothing here is estimated.
import type { BurstTimeline, ProbePoint, RevocationTimeline } from '../result.js';
import { esc } from './escape.js';

const W = 760;
const H = 240;
const M = { left: 64, right: 24, top: 48, bottom: 46 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

interface Scale {
  (v: number): number;
  ticks: number[];
}

function linear(min: number, max: number, from: number, to: number, tickCount = 6): Scale {
  const span = max - min || 1;
  const f = ((v: number) => from + ((v - min) / span) * (to - from)) as Scale;
  f.ticks = niceTicks(min, max, tickCount);
  return f;
}

function niceTicks(min: number, max: number, count: number): number[] {
  const raw = (max - min) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return [min];
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) ticks.push(Math.round(t * 1e6) / 1e6);
  return ticks;
}

const fmt = (n: number) => (Math.abs(n) >= 10_000 ? `${Math.round(n / 100) / 10}k` : String(Math.round(n * 10) / 10));
const r1 = (n: number) => Math.round(n * 10) / 10;

function frame(title: string, description: string, body: string[]): string {
  return [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${esc(title)}</title><desc>${esc(description)}</desc>`,
    `<rect x="${M.left}" y="${M.top}" width="${PLOT_W}" height="${PLOT_H}" fill="#fbfcfd" stroke="#d0d7de"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

function xAxis(x: Scale, label: string): string[] {
  const out = x.ticks.map(
    (t) =>
      `<g><line x1="${r1(x(t))}" x2="${r1(x(t))}" y1="${M.top}" y2="${M.top + PLOT_H}" stroke="#eaeef2"/><text x="${r1(x(t))}" y="${M.top + PLOT_H + 14}" text-anchor="middle" fill="#57606a">${fmt(t)}</text></g>`,
  );
  out.push(`<text x="${M.left + PLOT_W / 2}" y="${H - 8}" text-anchor="middle" fill="#24292f">${esc(label)}</text>`);
  return out;
}

function vMarker(x: number, color: string, label: string, row: number, dash = ''): string {
  const anchor = x > M.left + PLOT_W * 0.75 ? 'end' : 'start';
  const dx = anchor === 'end' ? -4 : 4;
  return `<g><line x1="${r1(x)}" x2="${r1(x)}" y1="${M.top - 4}" y2="${M.top + PLOT_H}" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${r1(x + dx)}" y="${M.top - 6 - row * 13}" text-anchor="${anchor}" fill="${color}" font-weight="600">${esc(label)}</text></g>`;
}

/**
 * Each probe after (and just before) the disable: accepted probes in the upper
 * lane, rejected ones in the lower; the disable at 0, the budget, the first
 * rejection and the stability window marked.
 */
export function revocationChart(t: RevocationTimeline): string {
  // On a platform without a disable the off switch was a delete; the chart says which.
  const off = t.offSwitch ?? 'disable';
  const ts = t.points.map((p) => p.tMs);
  const windowStart = t.firstRejectionMs ?? t.budgetMs;
  const min = Math.min(0, ...ts);
  const max = Math.max(t.budgetMs * 1.1, windowStart + t.stabilityWindowMs, ...ts, 1);
  const pad = (max - min) * 0.03;
  const x = linear(min - pad, max + pad, M.left, M.left + PLOT_W);
  // A 429 is neither acceptance nor revocation: throttled probes get a lane of their own.
  const throttled = (p: ProbePoint) => p.status === 429;
  const anyThrottled = t.points.some(throttled);
  const laneAccepted = M.top + PLOT_H * (anyThrottled ? 0.2 : 0.3);
  const laneThrottled = M.top + PLOT_H * 0.5;
  const laneRejected = M.top + PLOT_H * (anyThrottled ? 0.8 : 0.72);
  const late = t.points.filter((p) => p.accepted && p.tMs >= 0).length;
  const body: string[] = [...xAxis(x, `milliseconds since the key was ${off}d`)];
  body.push(
    `<rect x="${r1(x(windowStart))}" y="${M.top}" width="${r1(Math.max(0, x(windowStart + t.stabilityWindowMs) - x(windowStart)))}" height="${PLOT_H}" fill="#ddf4ff" opacity="0.7"/>`,
  );
  body.push(
    `<text x="${r1(x(windowStart) + 4)}" y="${M.top + PLOT_H - 6}" fill="#0969da">stability window ${fmt(t.stabilityWindowMs)} ms</text>`,
  );
  body.push(`<text x="${M.left - 8}" y="${r1(laneAccepted + 4)}" text-anchor="end" fill="#24292f">accepted</text>`);
  body.push(`<text x="${M.left - 8}" y="${r1(laneRejected + 4)}" text-anchor="end" fill="#24292f">rejected</text>`);
  body.push(
    `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${r1(laneAccepted)}" y2="${r1(laneAccepted)}" stroke="#eaeef2" stroke-dasharray="2 3"/>`,
  );
  body.push(
    `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${r1(laneRejected)}" y2="${r1(laneRejected)}" stroke="#eaeef2" stroke-dasharray="2 3"/>`,
  );
  if (anyThrottled) body.push(`<text x="${M.left - 8}" y="${r1(laneThrottled + 4)}" text-anchor="end" fill="#24292f">throttled</text>`);
  body.push(vMarker(x(0), '#24292f', `key ${off}d (0 ms)`, 0));
  body.push(vMarker(x(t.budgetMs), '#cf222e', `budget ${fmt(t.budgetMs)} ms`, 2, '5 4'));
  if (t.firstRejectionMs !== undefined)
    body.push(vMarker(x(t.firstRejectionMs), '#1a7f37', `first rejection ${fmt(t.firstRejectionMs)} ms`, 1, '2 2'));
  for (const p of t.points) {
    const kind = p.accepted ? 'accepted' : throttled(p) ? 'throttled' : 'rejected';
    const cy = kind === 'accepted' ? laneAccepted : kind === 'throttled' ? laneThrottled : laneRejected;
    const color = kind === 'throttled' ? '#bc4c00' : kind === 'rejected' ? '#1a7f37' : p.tMs < 0 ? '#8c959f' : '#cf222e';
    body.push(probeDot(x(p.tMs), cy, color, p, `${fmt(p.tMs)} ms: ${p.status ?? 'no response'} (${kind})`));
  }
  const title = `Revocation timeline: ${t.points.length} probes, ${late} accepted after the ${off}, first rejection ${t.firstRejectionMs === undefined ? 'never seen' : `at ${fmt(t.firstRejectionMs)} ms`} (budget ${fmt(t.budgetMs)} ms)`;
  return frame(
    title,
    `Each dot is one probe with the ${off}d key; upper lane accepted, lower lane rejected, middle lane throttled (429). Red dots are accepted after the ${off}.`,
    body,
  );
}

function probeDot(cx: number, cy: number, color: string, p: ProbePoint, label: string): string {
  const fill = p.status === undefined ? 'none' : color;
  return `<circle cx="${r1(cx)}" cy="${r1(cy)}" r="3.5" fill="${fill}" stroke="${color}" stroke-width="1.2"><title>${esc(label)}</title></circle>`;
}

/**
 * Accepted and throttled calls of a burst, counted up over time: the accepted
 * line should flatten near the expected limit while the throttled one rises.
 */
export function burstChart(t: BurstTimeline): string {
  const points = [...t.points].sort((a, b) => a.tMs - b.tMs);
  const accepted = points.filter((p) => p.accepted).length;
  const maxT = Math.max(1, ...points.map((p) => p.tMs));
  const maxY = Math.max(accepted, points.length - accepted, t.expectedLimit, 1) * 1.1;
  const x = linear(0, maxT * 1.03, M.left, M.left + PLOT_W);
  const y = linear(0, maxY, M.top + PLOT_H, M.top, 5);
  const body: string[] = [...xAxis(x, 'milliseconds since the burst started')];
  for (const tick of y.ticks)
    body.push(
      `<g><line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${r1(y(tick))}" y2="${r1(y(tick))}" stroke="#eaeef2"/><text x="${M.left - 6}" y="${r1(y(tick) + 4)}" text-anchor="end" fill="#57606a">${fmt(tick)}</text></g>`,
    );
  body.push(
    `<text transform="translate(14 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" fill="#24292f">calls (cumulative)</text>`,
  );
  const windowMs = t.windowSeconds * 1000;
  if (windowMs > 0 && windowMs <= maxT) body.push(vMarker(x(windowMs), '#6e7781', `rate window ends (${t.windowSeconds} s)`, 1, '3 3'));

  const steps = (pick: (p: ProbePoint) => boolean) => {
    let n = 0;
    const d = [`M${r1(x(0))},${r1(y(0))}`];
    for (const p of points) {
      if (!pick(p)) continue;
      d.push(`H${r1(x(p.tMs))}`);
      n++;
      d.push(`V${r1(y(n))}`);
    }
    d.push(`H${r1(x(maxT))}`);
    return d.join('');
  };
  body.push(
    `<line x1="${M.left}" x2="${M.left + PLOT_W}" y1="${r1(y(t.expectedLimit))}" y2="${r1(y(t.expectedLimit))}" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="6 4"/>`,
  );
  body.push(
    `<text x="${M.left + PLOT_W - 4}" y="${r1(y(t.expectedLimit) - 5)}" text-anchor="end" fill="#cf222e" font-weight="600">expected limit ${t.expectedLimit} per ${t.windowSeconds} s</text>`,
  );
  body.push(`<path d="${steps((p) => p.accepted)}" fill="none" stroke="#1a7f37" stroke-width="2"/>`);
  body.push(`<path d="${steps((p) => !p.accepted)}" fill="none" stroke="#bc4c00" stroke-width="2"/>`);
  // The marker sits where the first throttle came back; firstThrottledAtCall counts in the limiter's order, not arrival's.
  const first = t.firstThrottledAtCall !== undefined ? points.find((p) => !p.accepted) : undefined;
  if (first)
    body.push(
      vMarker(x(first.tMs), '#bc4c00', `first throttled: call ${t.firstThrottledAtCall} (${first.status ?? 'no response'})`, 0, '2 2'),
    );
  body.push(
    `<g transform="translate(${M.left + 10} ${M.top + 14})"><rect width="12" height="3" y="-4" fill="#1a7f37"/><text x="16" fill="#24292f">accepted (${accepted})</text><rect x="120" width="12" height="3" y="-4" fill="#bc4c00"/><text x="136" fill="#24292f">throttled (${points.length - accepted})</text></g>`,
  );
  const title = `Rate-limit burst: ${points.length} calls, ${accepted} accepted, ${points.length - accepted} throttled; expected limit ${t.expectedLimit} per ${t.windowSeconds} s; first throttled ${t.firstThrottledAtCall === undefined ? 'never' : `at call ${t.firstThrottledAtCall}`}`;
  return frame(
    title,
    'Cumulative count of accepted (green) and throttled (orange) calls over the burst; the dashed red line is the expected limit.',
    body,
  );
}
