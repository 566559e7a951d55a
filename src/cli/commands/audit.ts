// `keyprobe audit`: the governance review of a whole key inventory, from a
// file export, a management API (--inventory-url) or the built-in demo
// (--demo), read through a mapping (--mapping, --preset) where the platform
// names things its own way. With --baseline and --waivers it says what is
// new, persisting, resolved and accepted, and --fail-on decides what gates.
// Publishes the run reports (JSON, JUnit, …) plus the audit's own report.html
// and findings.json through the one publish pipeline (staging, leak scan,
// stubs, manifest.sha256; cli/publish.ts), and returns the exit code: 0 clean, 1 a gating rule broken
// (bad rows are such a rule), 2 bad usage or an unreadable
// inventory/policy/mapping/waivers/baseline file, 3 the inventory could not
// be fetched or a gating rule could not judge every key, 4 a secret in an output.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runAudit, type AuditReport } from '../../audit/audit.js';
import { startAuditDemo, type AuditDemo } from '../../audit/demo.js';
import type { Inventory } from '../../audit/inventory.js';
import { loadMapping, resolveCredential, type LoadedMapping } from '../../audit/mapping.js';
import { defaultPolicy, loadPolicy, type AuditPolicy } from '../../audit/policy.js';
import { DEFAULT_PRESET, describePresets, loadPreset, PRESETS_DIR } from '../../audit/presets.js';
import { fetchInventory, InventoryFetchError } from '../../audit/sources/api.js';
import { readInventoryFile } from '../../audit/sources/file.js';
import { FAIL_ON, type AcceptanceInput, type FailOn } from '../../governance/acceptance.js';
import { readBaseline, type Baseline } from '../../governance/baseline.js';
import { loadWaivers, waiverLabel, type WaiverSet } from '../../governance/waivers.js';
import { ConfigError, EXIT, SecretLeakError, UsageError, type ConfigProblem } from '../../errors.js';
import { findingsJsonReporter } from '../../reporters/audit-findings-json.js';
import { auditHtmlReporter } from '../../reporters/audit-html.js';
import { useColor } from '../../reporters/console.js';
import { jsonReporter } from '../../reporters/json.js';
import { junitReporter } from '../../reporters/junit.js';
import type { Reporter } from '../../reporters/reporter.js';
import { Multiplexer } from '../../reporters/multiplexer.js';
import { describeFindings, OutputGuard } from '../../reporters/secret-scan.js';
import type { Verdict } from '../../result.js';
import { SecretRegistry } from '../../secrets.js';
import { forTerminal } from '../../terminal-text.js';
import type { CliIo } from '../io.js';
import { checkOutDir, guardedIo, publishReports } from '../publish.js';
import { selectReporters } from '../reporter-selection.js';
import { WAIVER_TARGETS } from '../waiver-targets.js';

export interface AuditOptions {
  readonly inventoryUrl?: string;
  readonly mapping?: string;
  readonly preset?: string;
  readonly listPresets?: boolean;
  readonly baseline?: string;
  readonly waivers?: string;
  readonly failOn?: string;
  readonly policy?: string;
  readonly demo?: boolean;
  readonly asOf?: string;
  readonly out?: string;
  readonly ca?: string;
  readonly operator?: string;
  readonly quiet?: boolean;
  readonly verbose?: boolean;
  /** --reporter: console, json, junit, html, findings (default all). */
  readonly reporter?: string[];
}

const AUDIT_REPORTERS = ['console', 'json', 'junit', 'html', 'findings'] as const;
type AuditReporterName = (typeof AUDIT_REPORTERS)[number];

/** Bad rows printed to the terminal; all of them are in the reports. */
const ROW_PROBLEMS_SHOWN = 20;

export function auditCommand(rawIo: CliIo) {
  return async (file: string | undefined, opts: AuditOptions): Promise<number> => {
    if (opts.listPresets) return listPresets(rawIo);
    const sources = [file !== undefined, opts.inventoryUrl !== undefined, opts.demo === true].filter(Boolean).length;
    if (sources !== 1) throw new UsageError('give exactly one inventory: a file (YAML, JSON or CSV), --inventory-url <url>, or --demo');
    if (opts.mapping && opts.preset) throw new UsageError('give --mapping or --preset, not both');
    if (opts.demo && (opts.mapping || opts.preset))
      throw new UsageError('--demo reads the reference target with its own mapping; --mapping and --preset do not apply');
    const failOn = parseFailOn(opts.failOn);
    if (failOn === 'new' && !opts.baseline)
      throw new UsageError('--fail-on new needs --baseline <previous findings.json>: new is relative to it');
    const now = opts.asOf !== undefined ? parseAsOf(opts.asOf) : new Date();
    const names = selectReporters(opts.reporter, AUDIT_REPORTERS, AUDIT_REPORTERS);
    const printing = names.includes('console');
    const secrets = new SecretRegistry();
    // Everything printed from here on is screened for every secret the audit knows (as a run's output is).
    const guard = new OutputGuard(secrets.scanner);
    const io = guardedIo(rawIo, guard);

    let demo: AuditDemo | undefined;
    try {
      const problems: ConfigProblem[] = [];
      const collect = <T>(load: () => T): T | undefined => {
        try {
          return load();
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          problems.push(...err.problems);
          return undefined;
        }
      };
      const policy = collect<AuditPolicy>(() => (opts.policy ? loadPolicy(resolve(io.cwd, opts.policy)) : defaultPolicy()));
      const waivers = opts.waivers
        ? collect<WaiverSet>(() => loadWaivers(resolve(io.cwd, opts.waivers!), WAIVER_TARGETS, opts.waivers))
        : undefined;
      const baseline = opts.baseline ? collect<Baseline>(() => readBaseline(resolve(io.cwd, opts.baseline!), opts.baseline)) : undefined;
      if (baseline && baseline.kind !== 'audit')
        problems.push({
          file: baseline.file,
          path: '',
          message: 'is the results.json of a launch run; an audit baseline is the findings.json of an earlier audit',
        });
      const chosen = opts.mapping
        ? collect<LoadedMapping>(() => loadMapping(resolve(io.cwd, opts.mapping!), opts.mapping))
        : opts.preset
          ? collect<LoadedMapping>(() => loadPreset(opts.preset!))
          : undefined;
      let inventory: Inventory | undefined;
      let origin: string | undefined;
      if (file !== undefined) {
        // A mapping that could not be read would only add misleading problems about the file.
        if (chosen || !(opts.mapping || opts.preset)) inventory = collect(() => readInventoryFile(resolve(io.cwd, file), file, chosen));
      } else {
        let url = opts.inventoryUrl;
        let env = io.env;
        if (opts.demo) {
          demo = await startAuditDemo();
          for (const s of demo.secrets) secrets.add(s, s === demo.env.KEYPROBE_ADMIN_TOKEN ? 'admin-token' : 'key');
          url = demo.inventoryUrl;
          env = { ...io.env, ...demo.env };
          if (!opts.quiet)
            io.stdout.write(`Reference target on ${demo.target.origin} with a seeded inventory of ${demo.secrets.length - 1} keys\n`);
        }
        const mapping = chosen ?? (opts.mapping || opts.preset ? undefined : collect(() => loadPreset(DEFAULT_PRESET)));
        const secret = mapping ? collect(() => resolveCredential(mapping, env)) : undefined;
        if (secret) secrets.add(secret, 'admin-token');
        if (problems.length === 0 && mapping) {
          const ca = opts.ca ? await readCa(resolve(io.cwd, opts.ca)) : undefined;
          try {
            inventory = await fetchInventory({
              url: url!,
              mapping,
              ...(secret ? { secret } : {}),
              secrets,
              ...(io.signal ? { signal: io.signal } : {}),
              ...(ca ? { ca } : {}),
            });
          } catch (err) {
            if (!(err instanceof InventoryFetchError)) throw err;
            io.stderr.write(`keyprobe: the inventory could not be fetched: ${secrets.redact(err.message)}\n`);
            return EXIT.unverified;
          }
          origin = new URL(url!).origin;
        }
      }
      if (problems.length > 0 || !policy || !inventory) throw new ConfigError(problems);

      const acceptance: AcceptanceInput | undefined =
        baseline || waivers || opts.failOn ? { failOn, ...(baseline ? { baseline } : {}), ...(waivers ? { waivers } : {}) } : undefined;
      const report = runAudit({
        inventory,
        policy,
        now,
        secrets,
        ...(opts.operator ? { operator: opts.operator } : {}),
        ...(origin ? { origin } : {}),
        ...(acceptance ? { acceptance } : {}),
      });
      printRowProblems(io, inventory, secrets);

      // The one publish pipeline (cli/publish.ts): staging, the leak scanner on every file, stubs, manifest, rename into place.
      const outDir = await checkOutDir(io.cwd, opts.out, join('reports', `audit-${report.runId}`));
      const reporters = new Multiplexer([...(printing ? [auditConsoleReporter(io, report, opts)] : []), ...auditReporters(report, names)]);
      const published = await publishReports(report.result, outDir, secrets.scanner, reporters.reporters);
      for (const f of published.failures)
        io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${forTerminal(secrets.redact(f.message))}\n`);
      // A report that could not be written leaves a clean audit not fully on record.
      const exitCode = published.failures.length > 0 && report.result.exitCode === EXIT.pass ? EXIT.unverified : report.result.exitCode;
      await reporters.published(report.result, { exitCode, outDir, files: published.files });
      for (const f of reporters.failures)
        io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${forTerminal(secrets.redact(f.message))}\n`);
      // Files and the console output alike (the console reporter printed through the guard).
      const leaking = [
        ...published.withheld.map((w) => `${w.file} (withheld: replaced by a stub; found ${describeFindings(w.findings)})`),
        ...(guard.findings.length > 0 ? ['the console output (withheld before it was printed)'] : []),
      ];
      if (leaking.length > 0) throw new SecretLeakError(leaking);
      return reporters.failures.length > 0 && exitCode === EXIT.pass ? EXIT.unverified : exitCode;
    } finally {
      await demo?.target.close();
    }
  };
}

/**
 * The run reporters (JSON, JUnit, … whatever exists) plus the audit's own:
 * its report.html replaces the run HTML, which would show an inventory as if
 * it were one key.
 */
export function auditReporters(report: AuditReport, names: readonly AuditReporterName[] = AUDIT_REPORTERS): Reporter[] {
  const made: Record<Exclude<AuditReporterName, 'console'>, () => Reporter> = {
    json: () => jsonReporter,
    junit: () => junitReporter,
    html: () => auditHtmlReporter(report),
    findings: () => findingsJsonReporter(report),
  };
  return names.flatMap((n) => (n === 'console' ? [] : [made[n]()]));
}

/** The audit's console as a reporter: each rule's outcome, the governance block, the verdict, then where the reports are. */
function auditConsoleReporter(io: CliIo, report: AuditReport, opts: AuditOptions): Reporter {
  return {
    name: 'console',
    printsToStdio: () => true,
    onPublished(_result, published) {
      if (!opts.quiet || report.result.verdict !== 'pass') printOutcome(io, report, opts);
      if (!opts.quiet) io.stdout.write(`Reports: ${forTerminal(published.outDir)}\n`);
    },
  };
}

function listPresets(io: CliIo): number {
  const presets = describePresets();
  io.stdout.write(`Ready mappings (--preset NAME), in ${PRESETS_DIR} — copy one to adjust it, then use --mapping <file>:\n`);
  const width = Math.max(...presets.map((p) => p.name.length));
  for (const p of presets) io.stdout.write(`  ${p.name.padEnd(width)}  ${p.description}\n`);
  return EXIT.pass;
}

function parseFailOn(text: string | undefined): FailOn {
  if (text === undefined) return 'any';
  if ((FAIL_ON as readonly string[]).includes(text)) return text as FailOn;
  throw new UsageError(`--fail-on must be new or any, got "${text}"`);
}

function parseAsOf(text: string): Date {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new UsageError(`--as-of must be a date like 2026-03-31 or an ISO 8601 date-time, got "${text}"`);
  return new Date(ms);
}

async function readCa(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--ca ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function printRowProblems(io: CliIo, inventory: Inventory, secrets: SecretRegistry): void {
  if (inventory.problems.length === 0) return;
  const rows = new Set(inventory.problems.map((p) => p.row)).size;
  io.stderr.write(
    `keyprobe: ${rows} bad ${rows === 1 ? 'row was' : 'rows were'} left out of the audit (see audit.inventory-rows-valid):\n`,
  );
  for (const p of inventory.problems.slice(0, ROW_PROBLEMS_SHOWN)) {
    const where = p.line !== undefined ? `${inventory.source}:${p.line}` : inventory.source;
    io.stderr.write(secrets.redact(`  ${where}: row ${p.row}${p.field ? `: ${p.field}` : ''}: ${p.message}\n`));
  }
  if (inventory.problems.length > ROW_PROBLEMS_SHOWN)
    io.stderr.write(`  … and ${inventory.problems.length - ROW_PROBLEMS_SHOWN} more (all are in the reports)\n`);
}

const LABEL: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIP' };
const COLOR: Record<Verdict, number> = { pass: 32, fail: 31, error: 33, skip: 90 };

function printOutcome(io: CliIo, report: AuditReport, opts: AuditOptions): void {
  const color = useColor(io.stdout, io.env);
  const paint = (v: Verdict, s: string) => (color ? `\x1b[${COLOR[v]}m${s}\x1b[0m` : s);
  const inv = report.inventory;
  const pages = inv.pages !== undefined ? `, ${inv.pages} page${inv.pages === 1 ? '' : 's'}` : '';
  io.stdout.write(`keyprobe audit: ${inv.keys} keys from ${inv.source} (${inv.rows} rows${pages}), as of ${report.now}\n`);
  const profile = report.result.profiles[0]!;
  for (const note of profile.notes) if (/secret fields? .* were not read/.test(note)) io.stdout.write(`  ${note}\n`);
  const outcomes = new Map(report.outcomes.map((o) => [o.id, o]));
  for (const c of profile.checks) {
    if (opts.quiet && (c.verdict === 'pass' || c.verdict === 'skip')) continue;
    const o = outcomes.get(c.id);
    const tag = o?.gating && !o.gatingNow ? ' (accepted)' : c.gating ? '' : ' (advisory)';
    io.stdout.write(`  ${paint(c.verdict, LABEL[c.verdict].padEnd(5))} ${c.id}${tag} — ${c.message}\n`);
    if (opts.verbose && c.observed) for (const line of c.observed.split('\n').slice(0, 50)) io.stdout.write(`        ${line}\n`);
  }
  const checks = profile.checks;
  const failed = checks.filter((c) => c.verdict === 'fail');
  const unjudged = checks.filter((c) => c.verdict === 'error');
  const gatingFailed = failed.filter((c) => c.gating).length;
  const passed = checks.filter((c) => c.verdict === 'pass').length;
  io.stdout.write(
    `\n${passed} rules passed, ${failed.length} broken (${gatingFailed} gating)${unjudged.length ? `, ${unjudged.length} could not judge every key (${unjudged.filter((c) => c.gating).length} gating)` : ''}\n`,
  );
  printGovernance(io, report);
  const why =
    report.result.exitCode === EXIT.fail
      ? 'exit 1: a gating rule is broken'
      : report.result.exitCode === EXIT.unverified
        ? 'exit 3: no gating rule is broken, but a gating rule could not judge every key (see "could not judge")'
        : 'exit 0: no gating rule is broken';
  io.stdout.write(`Audit verdict: ${paint(report.result.verdict, report.result.verdict.toUpperCase())} — ${why}\n\n`);
}

/** What the baseline and the waivers did: new, persisting, resolved, accepted, expired. */
function printGovernance(io: CliIo, report: AuditReport): void {
  const g = report.governance;
  if (!g) return;
  const items = report.outcomes.flatMap((o) => [...o.findings, ...o.notVerifiable]);
  if (g.baseline) {
    const fresh = items.filter((x) => x.acceptance?.status === 'new').length;
    const persisting = items.filter((x) => x.acceptance?.status === 'persisting').length;
    const resolved = report.outcomes.reduce((n, o) => n + o.resolved.length, 0);
    const keys =
      g.baseline.keysAdded && g.baseline.keysRemoved
        ? `; keys: ${g.baseline.keysAdded.length} added, ${g.baseline.keysRemoved.length} removed`
        : '';
    io.stdout.write(
      `Since the baseline (run ${g.baseline.runId}${g.baseline.asOf ? `, as of ${g.baseline.asOf}` : ''}): ${fresh} new, ${persisting} persisting, ${resolved} resolved${keys}\n`,
    );
  }
  const waived = items.filter((x) => x.acceptance?.waiver).length;
  if (g.waivers) io.stdout.write(`Waivers (${g.waivers.file}): ${waived} findings waived\n`);
  for (const w of g.waivers?.expired ?? []) io.stdout.write(`  waiver ${waiverLabel(w)} expired ${w.expires}: it no longer waives\n`);
  for (const w of g.waivers?.unused ?? []) io.stdout.write(`  waiver ${waiverLabel(w)} matched nothing\n`);
  const accepted = items.filter((x) => x.acceptance && !x.acceptance.counts).length;
  io.stdout.write(
    `Gating on ${g.failOn === 'new' ? 'new findings only (--fail-on new)' : 'every finding not waived (--fail-on any)'}: ${accepted} accepted\n`,
  );
}
