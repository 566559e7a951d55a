// `npm run bench:audit`: generates inventories of 100,000 keys (CSV, JSON and
// YAML) with a realistic share of findings, audits each several times in
// process (read + every rule + every report), and prints the median, min and
// max (wall clock; CPU time of this process beside it, since a busy machine
// stretches the wall clock). The goal (issues 8 and 16): under 5 s for 100,000
// keys, also read through a --mapping (an export with its own column names,
// MM/DD/YYYY and epoch dates, a status value map) and judged against a
// --baseline (last week's findings.json, read as part of each run).
// Options by environment: BENCH_KEYS (default 100000), BENCH_RUNS (5),
// BENCH_FORMATS (csv,json,yaml,csv+mapping+baseline,json+mapping+baseline),
// BENCH_YAML_KEYS (10000: YAML is measured on a smaller inventory).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromDist } from './lib/keyprobe.js';

// The built package (dist/), as users run it; types from src/.
const { runAudit } = await fromDist<typeof import('../src/audit/audit.js')>('audit/audit.js');
const { defaultPolicy } = await fromDist<typeof import('../src/audit/policy.js')>('audit/policy.js');
const { readInventoryFile } = await fromDist<typeof import('../src/audit/sources/file.js')>('audit/sources/file.js');
const { loadMapping } = await fromDist<typeof import('../src/audit/mapping.js')>('audit/mapping.js');
const { readBaseline } = await fromDist<typeof import('../src/governance/baseline.js')>('governance/baseline.js');
const { auditReporters } = await fromDist<typeof import('../src/cli/commands/audit.js')>('cli/commands/audit.js');
const { writeReports } = await fromDist<typeof import('../src/reporters/write-reports.js')>('reporters/write-reports.js');
const { writeManifest } = await fromDist<typeof import('../src/reporters/manifest.js')>('reporters/manifest.js');

const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
/** YAML parsing keeps every node's position and is far slower; it is measured on a smaller inventory. */
const YAML_KEYS = Math.min(KEYS, Number(process.env.BENCH_YAML_KEYS ?? 10_000));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

/** Deterministic, so every run audits the same inventory. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Row {
  id: string;
  name: string;
  owner: string;
  environment: string;
  scopes: string[];
  created: string;
  expires: string;
  lastUsed: string;
  enabled: boolean;
  seenEnvironments: string[];
}

function generate(n: number): Row[] {
  const random = rng(42);
  const systems = ['crm', 'billing', 'reporting', 'ops', 'support', 'search', 'mail', 'ledger'];
  const purposes = ['agent-call', 'invoice-sync', 'export', 'webhook', 'read-only', 'ingest'];
  const envs = ['prod', 'prod', 'prod', 'staging', 'test', 'dev'];
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const env = envs[Math.floor(random() * envs.length)]!;
    const created = NOW - Math.floor(random() * 500) * DAY;
    const lifetime = random() < 0.05 ? 0 : random() < 0.05 ? 800 : 30 + Math.floor(random() * 330);
    const lastUsed = random() < 0.1 ? '' : new Date(NOW - Math.floor(random() * 200) * DAY).toISOString();
    rows.push({
      id: `key_${i.toString(16).padStart(12, '0')}`,
      name: random() < 0.02 ? 'test' : `${systems[i % systems.length]}-${env}-${purposes[i % purposes.length]}-${i}`,
      owner: random() < 0.03 ? '' : `team-${Math.floor(random() * 300)}@example.com`,
      environment: env,
      scopes: random() < 0.02 ? ['*'] : ['agents:read', 'agents:call'],
      created: new Date(created).toISOString(),
      expires: lifetime ? new Date(created + lifetime * DAY).toISOString() : '',
      lastUsed,
      enabled: random() > 0.1,
      seenEnvironments: random() < 0.01 ? ['prod'] : [env],
    });
  }
  return rows;
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function toCsv(rows: Row[]): string {
  const head = 'id,name,owner,environment,scopes,created,expires,lastUsed,enabled,seenEnvironments\n';
  return (
    head +
    rows
      .map((r) =>
        [
          r.id,
          r.name,
          r.owner,
          r.environment,
          r.scopes.join(' '),
          r.created,
          r.expires,
          r.lastUsed,
          String(r.enabled),
          r.seenEnvironments.join(' '),
        ]
          .map(csvCell)
          .join(','),
      )
      .join('\n') +
    '\n'
  );
}

/** The same keys as another platform exports them: its own column names, US dates, epoch seconds, a status. */
const MAPPED_HEAD = 'Key ID,Label,Team,Env,Permissions,Status,Created (US),Expires (epoch),Last Seen\n';
const us = (iso: string) => {
  const d = new Date(iso);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
};

function toMappedCsv(rows: Row[]): string {
  return (
    MAPPED_HEAD +
    rows
      .map((r, i) =>
        [
          r.id,
          r.name,
          r.owner,
          r.environment,
          r.scopes.join(' '),
          r.enabled ? 'active' : i % 2 ? 'suspended' : 'disabled',
          us(r.created),
          r.expires ? String(Date.parse(r.expires) / 1000) : '',
          r.lastUsed,
        ]
          .map(csvCell)
          .join(','),
      )
      .join('\n') +
    '\n'
  );
}

function toMappedJson(rows: Row[]): string {
  return JSON.stringify({
    data: {
      tokens: rows.map((r, i) => ({
        token_id: r.id,
        meta: { label: r.name, team: r.owner || null, env: r.environment },
        grants: r.scopes.map((scope) => ({ scope })),
        state: r.enabled ? 'active' : i % 2 ? 'suspended' : 'disabled',
        created_at: Date.parse(r.created) / 1000,
        expires_at: r.expires ? Date.parse(r.expires) / 1000 : null,
        last_seen_ms: r.lastUsed ? Date.parse(r.lastUsed) : null,
      })),
    },
  });
}

const CSV_MAPPING = `fields:
  id: Key ID
  name: Label
  owner: Team
  environment: Env
  scopes: Permissions
  enabled: { path: Status, values: { active: true, suspended: false, disabled: false } }
  created: { path: Created (US), date: MM/DD/YYYY }
  expires: { path: Expires (epoch), date: epoch-s }
  lastUsed: Last Seen
`;

const JSON_MAPPING = `items: data.tokens
fields:
  id: token_id
  name: meta.label
  owner: meta.team
  environment: meta.env
  scopes: grants.scope
  enabled: { path: state, values: { active: true, suspended: false, disabled: false } }
  created: { path: created_at, date: epoch-s }
  expires: { path: expires_at, date: epoch-s }
  lastUsed: { path: last_seen_ms, date: epoch-ms }
`;

function toYaml(rows: Row[]): string {
  return (
    'keys:\n' +
    rows
      .map(
        (r) =>
          `  - id: ${r.id}\n    name: ${r.name}\n    owner: "${r.owner}"\n    environment: ${r.environment}\n    scopes: [${r.scopes.map((s) => `"${s}"`).join(', ')}]\n    created: "${r.created}"\n    expires: "${r.expires}"\n    lastUsed: "${r.lastUsed}"\n    enabled: ${r.enabled}\n    seenEnvironments: [${r.seenEnvironments.join(', ')}]\n`,
      )
      .join('')
  );
}

function stats(ms: number[]): { median: number; min: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keyprobe-bench-'));
  try {
    const rows = generate(KEYS);
    const files = {
      csv: join(dir, 'inventory.csv'),
      json: join(dir, 'inventory.json'),
      yaml: join(dir, 'inventory.yaml'),
    };
    writeFileSync(files.csv, toCsv(rows));
    writeFileSync(
      files.json,
      JSON.stringify({
        keys: rows.map((r) => ({ ...r, owner: r.owner || undefined, expires: r.expires || undefined, lastUsed: r.lastUsed || undefined })),
      }),
    );
    writeFileSync(files.yaml, toYaml(rows.slice(0, YAML_KEYS)));
    const mapped = {
      'csv+mapping+baseline': { file: join(dir, 'export.csv'), mapping: join(dir, 'csv-mapping.yaml') },
      'json+mapping+baseline': { file: join(dir, 'export.json'), mapping: join(dir, 'json-mapping.yaml') },
    } as const;
    writeFileSync(mapped['csv+mapping+baseline'].file, toMappedCsv(rows));
    writeFileSync(mapped['csv+mapping+baseline'].mapping, CSV_MAPPING);
    writeFileSync(mapped['json+mapping+baseline'].file, toMappedJson(rows));
    writeFileSync(mapped['json+mapping+baseline'].mapping, JSON_MAPPING);
    console.log(
      `keyprobe audit benchmark: ${RUNS} runs per format, Node ${process.version}; read + all rules + all reports (+mapping+baseline: read through a mapping, judged against last week's findings.json, which each run reads)`,
    );
    const formats = (process.env.BENCH_FORMATS ?? 'csv,json,yaml,csv+mapping+baseline,json+mapping+baseline').split(',');
    for (const format of formats) {
      if (format in mapped) {
        await benchMapped(format, mapped[format as keyof typeof mapped], dir);
        continue;
      }
      const total: number[] = [];
      const cpu: number[] = [];
      const read: number[] = [];
      const rules: number[] = [];
      const reports: number[] = [];
      let findings = 0;
      for (let run = 0; run < RUNS; run++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const inventory = readInventoryFile(files[format as keyof typeof files]);
        const t1 = performance.now();
        const report = runAudit({ inventory, policy: defaultPolicy(), now: new Date(NOW), operator: 'bench' });
        const t2 = performance.now();
        const outDir = join(dir, `out-${format}-${run}`);
        const written = await writeReports(report.result, outDir, auditReporters(report));
        await writeManifest(outDir, written.files);
        const t3 = performance.now();
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
        if (written.failures.length) throw new Error(`report failed: ${written.failures.map((f) => f.reporter).join(', ')}`);
        const expected = format === 'yaml' ? YAML_KEYS : KEYS;
        if (inventory.keys.length !== expected) throw new Error(`audited ${inventory.keys.length} of ${expected} keys`);
        findings = report.outcomes.reduce((n, o) => n + o.findings.length, 0);
        total.push(t3 - t0);
        read.push(t1 - t0);
        rules.push(t2 - t1);
        reports.push(t3 - t2);
      }
      const t = stats(total);
      console.log(
        `${format.padEnd(4)} ${String(format === 'yaml' ? YAML_KEYS : KEYS).padStart(6)} keys: total ${fmt(t.median)} median (min ${fmt(t.min)}, max ${fmt(t.max)}) · read ${fmt(stats(read).median)} · rules ${fmt(stats(rules).median)} · reports ${fmt(stats(reports).median)} · CPU ${fmt(stats(cpu).median)} · ${findings} findings`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Read through a mapping, judged against a baseline audited "a week earlier", reports written. */
async function benchMapped(format: string, input: { file: string; mapping: string }, dir: string): Promise<void> {
  const mapping = loadMapping(input.mapping);
  // Last week's audit of the same export: the baseline each measured run reads.
  const weekAgo = new Date(NOW - 7 * DAY);
  const first = runAudit({
    inventory: readInventoryFile(input.file, input.file, mapping),
    policy: defaultPolicy(),
    now: weekAgo,
    operator: 'bench',
  });
  const baseDir = join(dir, `baseline-${format.replace(/\W/g, '-')}`);
  const wrote = await writeReports(first.result, baseDir, auditReporters(first));
  if (wrote.failures.length) throw new Error(`baseline report failed: ${wrote.failures.map((f) => f.reporter).join(', ')}`);
  const total: number[] = [];
  const cpu: number[] = [];
  const read: number[] = [];
  const rules: number[] = [];
  const reports: number[] = [];
  let findings = 0;
  let fresh = 0;
  for (let run = 0; run < RUNS; run++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const inventory = readInventoryFile(input.file, input.file, mapping);
    const baseline = readBaseline(join(baseDir, 'findings.json'));
    const t1 = performance.now();
    const report = runAudit({
      inventory,
      policy: defaultPolicy(),
      now: new Date(NOW),
      operator: 'bench',
      acceptance: { baseline, failOn: 'new' },
    });
    const t2 = performance.now();
    const outDir = join(dir, `out-${format.replace(/\W/g, '-')}-${run}`);
    const written = await writeReports(report.result, outDir, auditReporters(report));
    await writeManifest(outDir, written.files);
    const t3 = performance.now();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    if (written.failures.length) throw new Error(`report failed: ${written.failures.map((f) => f.reporter).join(', ')}`);
    if (inventory.keys.length !== KEYS)
      throw new Error(`audited ${inventory.keys.length} of ${KEYS} keys (${inventory.problems.length} bad rows)`);
    findings = report.outcomes.reduce((n, o) => n + o.findings.length, 0);
    fresh = report.outcomes.reduce((n, o) => n + o.findings.filter((f) => f.acceptance?.status === 'new').length, 0);
    total.push(t3 - t0);
    read.push(t1 - t0);
    rules.push(t2 - t1);
    reports.push(t3 - t2);
  }
  const t = stats(total);
  console.log(
    `${format} ${String(KEYS).padStart(6)} keys: total ${fmt(t.median)} median (min ${fmt(t.min)}, max ${fmt(t.max)}) · read+baseline ${fmt(stats(read).median)} · rules ${fmt(stats(rules).median)} · reports ${fmt(stats(reports).median)} · CPU ${fmt(stats(cpu).median)} · ${findings} findings, ${fresh} new`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
