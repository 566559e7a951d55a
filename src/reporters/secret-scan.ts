// The last line of defence for safety invariant 1: after a run has written
// its reports, every file is searched by the leak scanner for every secret the
// run knew, and a file that holds one is withheld: replaced by a stub that
// says which file, which secret (by fingerprint) and in which form, never
// what. Everything the CLI prints is screened the same way before it reaches
// the terminal. A hit sets exit 4.
import { rm, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { LeakFinding, LeakScanner } from '../leaks/scanner.js';
import { esc } from './escape.js';

export interface WithheldFile {
  readonly file: string;
  readonly findings: readonly LeakFinding[];
}

export interface ScanOutcome {
  /** Files replaced by a stub because they held a secret. */
  readonly withheld: WithheldFile[];
  /** Files replaced by a stub because they could not be scanned (never published unscanned), with why. */
  readonly unscannable: { readonly file: string; readonly message: string }[];
}

/** What searches the files: the LeakScanner itself, or the scans started as the files were written (EarlyScans). */
export type FileScanner = Pick<LeakScanner, 'size' | 'scanFile'>;

/**
 * Scans each file; those that hold a secret are overwritten with a stub. A
 * file that cannot be scanned is overwritten too: the scan fails closed. A
 * file that is not there (its reporter failed before writing it) holds nothing.
 */
export async function withholdLeaks(scanner: FileScanner, files: readonly string[]): Promise<ScanOutcome> {
  const outcome: ScanOutcome = { withheld: [], unscannable: [] };
  if (scanner.size === 0) return outcome;
  for (const file of files) {
    let findings: LeakFinding[];
    try {
      findings = await scanner.scanFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      const message = err instanceof Error ? err.message : String(err);
      // Replaced by a note, or removed if even that cannot be written: never left as it was.
      await writeFile(file, unscannableStub(basename(file)), 'utf8').catch(() => rm(file, { recursive: true, force: true }));
      outcome.unscannable.push({ file, message });
      continue;
    }
    if (findings.length === 0) continue;
    await writeFile(file, stubFor(basename(file), findings), 'utf8');
    outcome.withheld.push({ file, findings });
  }
  return outcome;
}

function unscannableStub(name: string): string {
  return `keyprobe withheld ${name}: its leak scan could not read it after writing it, so it was replaced by this note rather than published unscanned. The run's console output says why.\n`;
}

/** "secret sha256:1a2b3c4d (key) as base64; …": what was found, by fingerprint and form. */
export function describeFindings(findings: readonly LeakFinding[]): string {
  return findings.map((f) => `${f.label} ${f.fingerprint} (${f.form})`).join('; ');
}

function explanation(name: string, findings: readonly LeakFinding[]): string {
  return `keyprobe withheld ${name}: its leak scan found a secret in it after writing it, so the file was replaced by this stub. Found: ${describeFindings(findings)}. The run exited 4; find where the secret came from in the run's console output and run again.`;
}

/** A stub in the file's own format where a tool reads it (JUnit XML, JSON, HTML), plain text otherwise. */
export function stubFor(name: string, findings: readonly LeakFinding[]): string {
  const text = explanation(name, findings);
  const found = findings.map((f) => ({ secret: f.fingerprint, label: f.label, form: f.form }));
  switch (extname(name).toLowerCase()) {
    case '.json':
      return `${JSON.stringify({ keyprobe: 'withheld', file: name, message: text, found }, null, 2)}\n`;
    case '.xml':
      // A CI server reading junit.xml shows the withheld report as one error, not as a passing or broken run.
      return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="keyprobe" tests="1" failures="0" errors="1">\n  <testsuite name="keyprobe" tests="1" failures="0" errors="1" skipped="0">\n    <testcase classname="keyprobe" name="secret-scan">\n      <error message="${esc(text)}" type="SecretLeak"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n`;
    case '.html':
      return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>keyprobe: report withheld</title></head>\n<body><h1>Report withheld: a secret was found in it</h1><p>${esc(text)}</p></body></html>\n`;
    default:
      return `${text}\n`;
  }
}

/**
 * Screens what the CLI prints: text holding a secret is replaced by a note
 * before it reaches the terminal (or the CI log), and remembered for exit 4.
 */
export class OutputGuard {
  private readonly found: LeakFinding[] = [];

  constructor(private readonly scanner: LeakScanner) {}

  screen(text: string): string {
    const findings = this.scanner.find(text);
    if (findings.length === 0) return text;
    this.found.push(...findings);
    return `[keyprobe withheld output here: it held ${describeFindings(findings)}]\n`;
  }

  /** What was withheld from the output so far. */
  get findings(): readonly LeakFinding[] {
    return this.found;
  }
}
