// Medians with their spread: every figure in the table is the median of
// several runs, shown with the lowest and highest run.

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('no values to summarise');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** "62.1 ms (58.0–70.3, 5 runs)" */
export function show(s: Spread, unit: string, digits = 1): string {
  const f = (n: number) => formatNumber(n, digits);
  const u = unit ? ` ${unit}` : '';
  return s.runs === 1 ? `${f(s.median)}${u} (1 run)` : `${f(s.median)}${u} (${f(s.min)}–${f(s.max)}, ${s.runs} runs)`;
}

export function formatNumber(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024, 1)} KiB`;
  return `${formatNumber(bytes / (1024 * 1024), 1)} MiB`;
}
