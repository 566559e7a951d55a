// The one Reporter model: the multiplexer calls every reporter in its own
// try/catch and records a failure (never swallows it); `--reporter` picks the
// reporters with per-command defaults and refuses unknown names (exit 2, with
// a did-you-mean); the Markdown summary is written to summary.md and, with
// $GITHUB_STEP_SUMMARY, appended there — parsed back, not snapshotted.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/reporters/markdown.js';
import { Multiplexer } from '../../src/reporters/multiplexer.js';
import type { Reporter } from '../../src/reporters/reporter.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { ALL_SHAPES, mixed, NASTY, nasty, unverified } from './sample-results.js';

/** The rows of every Markdown table: cells, unescaped enough to compare. */
function tableRows(md: string): string[][] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| verdict'))
    .map((l) =>
      l
        .slice(2, -2)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

describe('the multiplexer', () => {
  it('records a reporter that throws in a live hook or in write, and every other reporter still gets everything', async () => {
    const tmp = tempDir();
    try {
      const seen: string[] = [];
      const good: Reporter = {
        name: 'good',
        onRunBegin: () => seen.push('begin'),
        onCheckEnd: (_p, r) => seen.push(`end ${r.id}`),
        onRunEnd: () => seen.push('run end'),
        write: async (_r, dir) => {
          writeFileSync(join(dir, 'good.txt'), 'ok');
          return [join(dir, 'good.txt')];
        },
      };
      const throwsLive: Reporter = {
        name: 'live-broken',
        onCheckEnd: () => {
          throw new Error('terminal gone');
        },
      };
      const throwsWrite: Reporter = {
        name: 'write-broken',
        write: async () => {
          throw new Error('disk on fire');
        },
      };
      const mux = new Multiplexer([throwsLive, good, throwsWrite]);
      const result = mixed();
      const observer = mux.observer();
      const profile = result.profiles[0]!;
      observer.runStarted?.({ runId: result.runId, profiles: [profile.profile], checksPerProfile: profile.checks.length });
      for (const c of profile.checks) observer.checkFinished?.(profile.profile, c);
      observer.runFinished?.(result);
      expect(seen).toEqual(['begin', ...profile.checks.map((c) => `end ${c.id}`), 'run end']);
      // Recorded once, named, with the hook: a hook that throws on every check is one failure.
      expect(mux.failures).toEqual([{ reporter: 'live-broken', message: 'onCheckEnd: terminal gone' }]);
      const written = await mux.write(result, tmp.dir);
      expect(written.files).toEqual([join(tmp.dir, 'good.txt')]);
      expect(written.failures).toEqual([{ reporter: 'write-broken', message: 'disk on fire' }]);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('the Markdown summary', () => {
  it.each(Object.keys(ALL_SHAPES))('%s: one table row per check with its verdict and message', (name) => {
    const result = ALL_SHAPES[name]!();
    const md = renderMarkdown(result);
    const rows = tableRows(md);
    const checks = result.profiles.flatMap((p) => p.checks);
    expect(rows).toHaveLength(checks.length);
    rows.forEach((cells, i) => {
      expect(cells).toHaveLength(4);
      expect(cells[0]).toContain(checks[i]!.verdict.toUpperCase());
      expect(cells[1]).toBe(`\`${checks[i]!.id}\``);
    });
  });

  it('escapes what the target said: no HTML, no broken table, no fence closed from inside', () => {
    const md = renderMarkdown(nasty());
    // Inside a fenced block (the curl line) text is shown, not rendered; everywhere else it is escaped.
    const outsideFences = md
      .split(/^\s*```.*$/m)
      .filter((_, i) => i % 2 === 0)
      .join('\n');
    expect(outsideFences).not.toContain('<script>');
    expect(md).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(md).toContain('&lt;script&gt;');
    for (const row of tableRows(md)) expect(row).toHaveLength(4);
    expect(md.match(/^\s*```/gm)!.length % 2).toBe(0);
    expect(NASTY).toContain('<script>');
  });

  it('names failures with their evidence as a curl line, the cleanup left undone, and what was left out', () => {
    const failing = renderMarkdown(mixed());
    expect(failing).toMatch(/#### Failures[\s\S]*\*\*`auth\.missing-key-rejected`\*\* ❌ FAIL/);
    expect(failing).toMatch(/```sh\n\s+curl /);
    const left = renderMarkdown(unverified());
    expect(left).toContain('CLEANUP INCOMPLETE');
    expect(left).toContain('crm-prod-agent-call-canary');
    expect(left).toContain('$ADMIN_TOKEN');
    const every = renderMarkdown(ALL_SHAPES.everyField!());
    expect(every).toContain('Required checks left out with --only/--skip');
    expect(every).toMatch(/### Accepted \(--fail-on new\)[\s\S]*persisting since the baseline/);
  });
});

describe('--reporter', () => {
  let tmp: ReturnType<typeof tempDir>;
  afterEach(() => tmp?.cleanup());

  function stored(result: RunResult = mixed()): string {
    const dir = join(tmp.dir, 'stored');
    mkdirSync(dir);
    const file = join(dir, 'results.json');
    writeFileSync(file, JSON.stringify(result));
    return file;
  }

  it('unknown names are bad usage (exit 2) with a did-you-mean, on every command, before anything is written', async () => {
    tmp = tempDir();
    const file = stored();
    const out = join(tmp.dir, 'never');
    for (const args of [
      ['report', file, '--out', out, '--reporter', 'jnuit'],
      ['merge', file, '--out', out, '--reporter', 'html,jsno'],
      ['audit', '--demo', '--out', out, '--reporter', 'findigns'],
      ['demo', '--out', out, '--reporter', 'consle'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /unknown reporter "(jnuit|jsno|findigns|consle)" \(did you mean (junit|json|findings|console)\?\); choose from /,
      );
    }
    // A reporter a command cannot honour is refused the same way.
    const json = await runCli(['report', file, '--out', out, '--reporter', 'json']);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('choose from console, junit, html, markdown, pdf');
    expect(existsSync(out)).toBe(false);
  }, 30_000);

  it('report: the defaults are console, junit and html; --reporter markdown writes only summary.md (with the input results.json)', async () => {
    tmp = tempDir();
    const file = stored();
    const byDefault = await runCli(['report', file, '--out', join(tmp.dir, 'a')]);
    expect(byDefault.code).toBe(1);
    expect(byDefault.stdout).toContain('Launch verdict: FAIL');
    expect(readdirSync(join(tmp.dir, 'a')).sort()).toEqual(['junit.xml', 'manifest.sha256', 'report.html', 'results.json']);
    const md = await runCli(['report', file, '--out', join(tmp.dir, 'b'), '--reporter', 'markdown'], { env: { PATH: process.env.PATH } });
    expect(md.code).toBe(1);
    expect(md.stdout).toBe('');
    expect(readdirSync(join(tmp.dir, 'b')).sort()).toEqual(['manifest.sha256', 'results.json', 'summary.md']);
    expect(tableRows(readFileSync(join(tmp.dir, 'b', 'summary.md'), 'utf8'))).toHaveLength(mixed().profiles[0]!.checks.length);
  });

  it('merge: the defaults are console, json, junit, html; --reporter junit --reporter console picks just those', async () => {
    tmp = tempDir();
    const file = stored();
    expect(readdirSync(join(tmp.dir, 'stored'))).toEqual(['results.json']);
    await runCli(['merge', file, '--out', join(tmp.dir, 'a')]);
    expect(readdirSync(join(tmp.dir, 'a')).sort()).toEqual(['junit.xml', 'manifest.sha256', 'report.html', 'results.json']);
    const r = await runCli(['merge', file, '--out', join(tmp.dir, 'b'), '--reporter', 'junit', '--reporter', 'console']);
    expect(r.stdout).toContain('Merged 1 run(s)');
    // The console reporter prints it, as it does for run and demo: where the reports are, then the summary.
    expect(r.stdout).toMatch(/^Reports: .*\bb$/m);
    expect(r.stdout).toMatch(/^Launch verdict: /m);
    expect(readdirSync(join(tmp.dir, 'b')).sort()).toEqual(['junit.xml', 'manifest.sha256']);
    const silent = await runCli(['merge', file, '--out', join(tmp.dir, 'c'), '--reporter', 'junit']);
    expect(silent.stdout).toBe('');
  });

  it('demo --reporter junit,markdown: no console output, summary.md in the folder and appended to $GITHUB_STEP_SUMMARY', async () => {
    tmp = tempDir();
    const step = tmp.file('step-summary.md', 'an earlier step wrote this\n');
    const out = join(tmp.dir, 'out');
    const r = await runCli(
      ['demo', '--only', 'auth.valid-key-accepted,auth.missing-key-rejected', '--out', out, '--reporter', 'junit,markdown', '--quiet'],
      {
        env: { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: step },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'manifest.sha256', 'summary.md']);
    const appended = readFileSync(step, 'utf8');
    expect(appended.startsWith('an earlier step wrote this\n## keyprobe: ')).toBe(true);
    expect(appended).toContain(readFileSync(join(out, 'summary.md'), 'utf8'));
    const rows = tableRows(appended);
    expect(rows.map((c) => c[1])).toEqual(['`auth.valid-key-accepted`', '`auth.missing-key-rejected`']);
    expect(rows.every((c) => c[0]!.includes('PASS'))).toBe(true);
  }, 60_000);
});
