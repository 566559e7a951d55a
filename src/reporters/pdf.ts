// report.pdf: report.html printed by a local Chromium (never a downloaded
// browser). Chromium runs headless with a fresh profile, its background
// networking off, and every request the page would make is refused — the
// page needs none. Without a Chromium this reporter fails with a message that
// says so; the run and the other reports are unaffected.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml } from './html.js';
import type { FileReporter } from './reporter.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export class NoBrowserError extends Error {
  override name = 'NoBrowserError';
}

export function pdfReporter(opts: { executablePath?: string } = {}): FileReporter {
  const executablePath = opts.executablePath ?? DEFAULT_CHROMIUM;
  return {
    name: 'pdf',
    async write(result, outDir) {
      const file = join(outDir, 'report.pdf');
      await writeFile(file, await htmlToPdf(renderHtml(result), executablePath, `keyprobe ${result.runId}`));
      return [file];
    },
  };
}

export async function htmlToPdf(html: string, executablePath: string, footerText: string): Promise<Buffer> {
  if (!existsSync(executablePath)) {
    throw new NoBrowserError(
      `no Chromium at ${executablePath}, so report.pdf was not written (report.html is complete; print it from a browser, or install Chromium — on Debian/Ubuntu: apt-get install chromium — or set KEYPROBE_CHROMIUM to a Chromium binary)`,
    );
  }
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new NoBrowserError('the playwright-core package is not installed, so report.pdf was not written (npm install playwright-core)');
  }
  const profileDir = await mkdtemp(join(tmpdir(), 'keyprobe-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      offline: true,
      timeout: 30_000,
    });
    try {
      await context.route('**/*', (route) => route.abort());
      const page = context.pages()[0] ?? (await context.newPage());
      await page.setContent(html, { waitUntil: 'load', timeout: 30_000 });
      await page.emulateMedia({ media: 'print' });
      // Printing from a browser fires `beforeprint` (the page's own script opens every card); page.pdf does not.
      await page.evaluate("document.querySelectorAll('details').forEach(function (d) { d.open = true; })");
      return await page.pdf({
        format: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: `<div style="font-size:8px;width:100%;padding:0 12mm;color:#57606a;display:flex;justify-content:space-between"><span>${footerText.replace(/[<>&"]/g, '')}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
      });
    } finally {
      await context.close();
    }
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
}
