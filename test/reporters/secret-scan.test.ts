// A file in which the leak scan finds a secret is withheld: replaced by a stub
// (in the file's own format) that names the file, the secret by fingerprint
// and the form, never the secret. Printed output is screened the same way.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { guardedIo } from '../../src/cli/publish.js';
import { LeakScanner } from '../../src/leaks/scanner.js';
import { OutputGuard, withholdLeaks } from '../../src/reporters/secret-scan.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

const secret = () => `kp_prod_${randomBytes(18).toString('base64url')}`;

describe('withholding leaking files', () => {
  it('replaces each file that holds a secret with a stub in its own format, and leaves the others alone', async () => {
    const tmp = tempDir();
    try {
      const s = secret();
      const clean = tmp.file('clean.txt', 'fine\n');
      const html = tmp.file('report.html', `<pre>Authorization: Basic ${Buffer.from(`u:${s}`).toString('base64')}</pre>`);
      const json = tmp.file('results.json', JSON.stringify({ body: s.slice(0, -1) }));
      const xml = tmp.file('junit.xml', `<testsuites><system-out>${[...s].reverse().join('')}</system-out></testsuites>`);
      const scanner = new LeakScanner();
      scanner.add(s, 'key');
      const { withheld, unscannable } = await withholdLeaks(scanner, [clean, html, json, xml, `${tmp.dir}/missing`]);
      expect(withheld.map((w) => w.file)).toEqual([html, json, xml]);
      expect(unscannable).toEqual([]);
      expect(readFileSync(clean, 'utf8')).toBe('fine\n');
      expect(findSecrets([s], { dirs: [tmp.dir] })).toEqual([]);

      const stubJson = JSON.parse(readFileSync(json, 'utf8'));
      expect(stubJson).toMatchObject({ keyprobe: 'withheld', file: 'results.json' });
      expect(stubJson.found[0]).toMatchObject({ label: 'key', secret: expect.stringMatching(/^sha256:[0-9a-f]{8}$/) });
      expect(stubJson.found[0].form).toMatch(/of \d+ characters/);
      expect(readFileSync(html, 'utf8')).toMatch(/Report withheld[\s\S]*key sha256:[0-9a-f]{8} \(base64\)/);
      // junit.xml stays a JUnit file a CI server can read: one error saying why.
      const junit = readFileSync(xml, 'utf8');
      expect(junit).toMatch(
        /<testcase classname="keyprobe" name="secret-scan">\s*<error message="keyprobe withheld junit.xml[^"]*reversed/,
      );
      const xsd = readFileSync(new URL('../fixtures/junit-10.xsd', import.meta.url), 'utf8');
      const valid = await validateXML({ xml: [{ fileName: 'junit.xml', contents: junit }], schema: [xsd] });
      expect(valid.errors.map((e) => e.rawMessage)).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('a file the scan cannot read', () => {
  it('is replaced by a note and reported, never published unscanned', async () => {
    const tmp = tempDir();
    try {
      const s = secret();
      const report = tmp.file('report.html', `<p>${s}</p>`);
      const broken = new LeakScanner();
      broken.add(s, 'key');
      // A scan that fails (out of memory, a read error) must not count as a clean file.
      broken.scanFile = async () => {
        throw new Error('the read failed');
      };
      const { withheld, unscannable } = await withholdLeaks(broken, [report]);
      expect(withheld).toEqual([]);
      expect(unscannable).toEqual([{ file: report, message: 'the read failed' }]);
      expect(readFileSync(report, 'utf8')).toMatch(/^keyprobe withheld report.html: its leak scan could not read it/);
      expect(findSecrets([s], { dirs: [tmp.dir] })).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('screening what is printed', () => {
  it('replaces output that holds a secret with a note, keeps the rest, and keeps isTTY and columns', () => {
    const s = secret();
    const scanner = new LeakScanner();
    scanner.add(s, 'canary');
    const guard = new OutputGuard(scanner);
    let out = '';
    let err = '';
    const io = guardedIo(
      {
        stdout: Object.assign({ write: (t: string) => (out += t), isTTY: true }, { columns: 77 }),
        stderr: { write: (t: string) => (err += t) },
        env: {},
        cwd: '/',
      },
      guard,
    );
    io.stdout.write('PASS fine\n');
    io.stderr.write(`observed: ${encodeURIComponent(s)}\n`);
    expect(out).toBe('PASS fine\n');
    expect(err).toMatch(/^\[keyprobe withheld output here: it held canary sha256:[0-9a-f]{8} \(as is\)\]\n$/);
    expect(guard.findings).toHaveLength(1);
    expect(io.stdout.isTTY).toBe(true);
    expect((io.stdout as { columns?: number }).columns).toBe(77);
  });
});
