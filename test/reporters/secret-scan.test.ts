// The scan finds a secret in every form it can take in an output, names the
// file, and never repeats the secret.
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OutputRecorder, SecretScanner } from '../../src/reporters/secret-scan.js';
import { recordingIo } from '../../src/cli/publish.js';
import { tempDir } from '../helpers/tmp.js';

const secret = () => `kp_prod_${randomBytes(18).toString('base64url')}`;

describe('secret scan', () => {
  it('finds the raw, URL-encoded, base64 (every alignment), sha256 and JSON/HTML-escaped forms', () => {
    const s = `${secret()}/+"<&`;
    const scanner = new SecretScanner([s]);
    const forms = [
      s,
      encodeURIComponent(s),
      Buffer.from(s).toString('base64'),
      Buffer.from(`x${s}`).toString('base64'),
      Buffer.from(`xy${s}`).toString('base64'),
      Buffer.from(`user:${s}`).toString('base64url'),
      createHash('sha256').update(s).digest('hex'),
      JSON.stringify({ s }),
      s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;'),
    ];
    for (const f of forms) expect(scanner.leaks(`before ${f} after`), f).toBe(true);
    expect(scanner.leaks('nothing here, only sha256:1234abcd')).toBe(false);
  });

  it('with hundreds of secrets (the indexed search) still finds every form of any one of them', () => {
    const many = Array.from({ length: 300 }, secret);
    const scanner = new SecretScanner(many);
    const s = many[217]!;
    const filler = 'x'.repeat(100_000);
    for (const f of [s, encodeURIComponent(s), Buffer.from(`xy${s}`).toString('base64'), createHash('sha256').update(s).digest('hex')]) {
      expect(scanner.leaks(`${filler}${f}${filler}`), f).toBe(true);
    }
    // '.' is in none of the secret's forms, so the truncated secret cannot be completed by its neighbour.
    const dots = '.'.repeat(100_000);
    expect(scanner.leaks(`${dots}${s.slice(0, -1)}${dots}`)).toBe(false);
  });

  it('names the files that hold a secret, and only those', async () => {
    const tmp = tempDir();
    try {
      const s = secret();
      const clean = tmp.file('clean.html', '<p>fine</p>');
      const dirty = tmp.file('report.html', `<pre>Authorization: Basic ${Buffer.from(`u:${s}`).toString('base64')}</pre>`);
      const binary = tmp.file('report.pdf', Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from(s), Buffer.from([0])]).toString('latin1'));
      expect(await new SecretScanner([s]).scanFiles([clean, dirty, binary, `${tmp.dir}/missing`])).toEqual([dirty, binary]);
      expect(await new SecretScanner([]).scanFiles([dirty])).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('records everything written to stdout and stderr, keeping isTTY and columns', () => {
    let out = '';
    const recorder = new OutputRecorder();
    const io = recordingIo(
      {
        stdout: Object.assign({ write: (t: string) => (out += t), isTTY: true }, { columns: 77 }),
        stderr: { write: () => true },
        env: {},
        cwd: '/',
      },
      recorder,
    );
    io.stdout.write('a');
    io.stderr.write('b');
    expect(out).toBe('a');
    expect(recorder.text()).toBe('ab');
    expect(io.stdout.isTTY).toBe(true);
    expect((io.stdout as { columns?: number }).columns).toBe(77);
  });
});
