// report.html in a real browser (Debian's Chromium through playwright-core):
// it renders without console errors and without a single network request,
// shows the verdict, every check card and both charts, prints with nothing
// collapsed, and prints to PDF. A screenshot goes to test-artifacts/ for CI.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/reporters/html.js';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM, pdfReporter } from '../../src/reporters/pdf.js';
import { allChecks, type RunResult } from '../../src/result.js';
import { tempDir } from '../helpers/tmp.js';
import { ALL_SHAPES, large, mixed } from './sample-results.js';

const CHROMIUM = process.env.KEYPROBE_CHROMIUM ?? DEFAULT_CHROMIUM;
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const MISSING = `Chromium is missing: ${CHROMIUM} does not exist, so the browser tests of report.html cannot run. Install it with \`apt-get update && apt-get install -y chromium\` (.ci/run does this), or set KEYPROBE_CHROMIUM to a Chromium binary.`;

if (!HAVE_CHROMIUM) {
  if (process.env.CI) {
    // CI must never pass without having looked at the report in a browser.
    it('has Chromium for the browser tests (required when CI is set)', () => {
      throw new Error(MISSING);
    });
  } else {
    console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING the browser tests of report.html\n!! ${MISSING}\n${'!'.repeat(78)}\n`);
  }
}

describe.skipIf(!HAVE_CHROMIUM)('report.html in headless Chromium', () => {
  let browser: Browser;
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => a !== '--headless') });
    tmp = tempDir();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    tmp?.cleanup();
  });

  /** Opens a report from a file:// URL, recording every request and every console/page error. */
  async function open(name: string, result: RunResult): Promise<{ page: Page; file: string; requests: string[]; errors: string[] }> {
    const file = tmp.file(`${name}.html`, renderHtml(result));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    return { page, file, requests, errors };
  }

  for (const [name, make] of Object.entries(ALL_SHAPES)) {
    it(`renders ${name} with no console errors and no request but the file itself`, async () => {
      const result = make();
      const { page, file, requests, errors } = await open(name, result);
      try {
        expect(errors).toEqual([]);
        expect(requests).toEqual([`file://${file}`]);
        await expect(page.locator('header#verdict h1').innerText()).resolves.toContain(result.verdict.toUpperCase());
        const checks = allChecks(result);
        expect(await page.locator('details.card').count()).toBe(checks.length);
        // Failures first: no pass card before a fail card.
        const order = await page.locator('details.card').evaluateAll((els) => els.map((e) => e.className.replace('card v-', '')));
        const rank = { fail: 0, error: 1, skip: 2, pass: 3 } as Record<string, number>;
        expect(order.map((v) => rank[v])).toEqual([...order.map((v) => rank[v])].sort());
        // Untrusted text stays text: the markup in bodies never became elements.
        expect(await page.locator('main script, main iframe, main img').count()).toBe(0);
        expect(await page.evaluate('typeof window.alert === "function" && document.title.length > 0')).toBe(true);
      } finally {
        await page.close();
      }
    });
  }

  it('shows the verdict, the practices, every card and both charts; writes a screenshot', async () => {
    const result = mixed();
    const { page, requests, errors } = await open('mixed-full', result);
    try {
      expect(await page.locator('header#verdict').innerText()).toMatch(/Do not launch: FAIL[\s\S]*exit 1/);
      for (const c of allChecks(result)) expect(await page.locator('details.card', { hasText: c.id }).count()).toBeGreaterThan(0);
      const practices = await page.locator('#practices').innerText();
      for (const p of ['Naming', 'Per-environment keys', 'Least privilege', 'Reverse validation', 'Rotation and reclamation', 'Audit'])
        expect(practices).toContain(p);
      expect(await page.locator('svg.chart').count()).toBe(2);
      const titles = await page.locator('svg.chart > title').allTextContents();
      expect(titles.some((t) => t.startsWith('Revocation timeline'))).toBe(true);
      expect(titles.some((t) => t.startsWith('Rate-limit burst'))).toBe(true);
      expect(await page.locator('#signoff').innerText()).toMatch(/Prepared by\s+qa-alice[\s\S]*Reviewed by/);
      // Failures open, passes collapsed; the script's "Expand all" opens them.
      expect(await page.locator('details.card.v-fail[open]').count()).toBe(2);
      expect(await page.locator('details.card.v-pass[open]').count()).toBe(0);
      await page.click('#expand-all');
      expect(await page.locator('details.card:not([open])').count()).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, 'report-mixed.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toHaveLength(1);
    } finally {
      await page.close();
    }
  });

  it('hides nothing when printed: collapsed cards show their evidence in print media', async () => {
    const { page } = await open('print', mixed());
    try {
      const passBody = page.locator('details.card.v-pass .card-body').first();
      expect(await passBody.isVisible()).toBe(false);
      await page.emulateMedia({ media: 'print' });
      expect(await passBody.isVisible()).toBe(true);
      expect(await page.locator('#toolbar').isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('stays usable with 10,000 checks: failures first and open, passes collapsed', async () => {
    const result = large(10_000);
    const t0 = performance.now();
    const html = renderHtml(result);
    const renderMs = performance.now() - t0;
    const t1 = performance.now();
    const { page, requests, errors } = await open('large', result);
    const loadMs = performance.now() - t1;
    try {
      expect(await page.locator('details.card').count()).toBe(10_000);
      const first = await page.locator('details.card').first().getAttribute('class');
      expect(first).toBe('card v-fail');
      expect(await page.locator('details.card[open]').count()).toBe(
        allChecks(result).filter((c) => c.verdict === 'fail' || c.verdict === 'error').length,
      );
      expect(errors).toEqual([]);
      expect(requests).toHaveLength(1);
      console.info(
        `10,000 checks: rendered in ${Math.round(renderMs)} ms, ${(Buffer.byteLength(html) / 1e6).toFixed(1)} MB of HTML, opened in Chromium in ${Math.round(loadMs)} ms`,
      );
    } finally {
      await page.close();
    }
  });

  it('prints to PDF (A4) through the pdf reporter', async () => {
    const out = tempDir();
    try {
      const [file] = await pdfReporter({ executablePath: CHROMIUM }).write(mixed(), out.dir);
      const pdf = readFileSync(file!);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      // A4 is 595 x 842 points.
      // A4 is 595 x 842 points (Chromium writes 594.96 x 841.92). Matched, not compared, so a failure does not print the PDF.
      const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((m) => [
        Math.round(Number(m[1])),
        Math.round(Number(m[2])),
      ]);
      expect(boxes.length).toBeGreaterThan(2);
      for (const box of boxes) expect(box).toEqual([595, 842]);
      writeFileSync(join(ARTIFACTS, 'report-mixed.pdf'), pdf);
    } finally {
      out.cleanup();
    }
  });
});

describe('the pdf reporter without a browser', () => {
  it('fails with a message naming what is missing and how to install it', async () => {
    const out = tempDir();
    try {
      await expect(pdfReporter({ executablePath: join(out.dir, 'no-chromium') }).write(mixed(), out.dir)).rejects.toThrow(
        /no Chromium at .*no-chromium.*apt-get install chromium/,
      );
      expect(existsSync(join(out.dir, 'report.pdf'))).toBe(false);
    } finally {
      out.cleanup();
    }
  });
});
