// The leak scanner finds a secret in every encoding and escaping a server or
// a report can produce, in any letter case, reversed, split, and any run of
// it long enough to matter; the redactor removes the same forms, so what
// keyprobe writes itself is clean. Nothing reported names the secret.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeakScanner } from '../../src/leaks/scanner.js';
import { longGroupsJoined } from '../../src/leaks/views.js';
import { SecretRegistry } from '../../src/secrets.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { ECHO_FORMS } from './forms.js';
import { base62 } from '../helpers/random-keys.js';

/** A key with every character that URL, JSON, HTML and form encodings treat differently. */
const hostileKey = () => `kp_live_${base62(10)}/+~!'()* &<>"=${base62(10)}`;
const plainKey = () => `kp_live_${base62(32)}`;

/** Text shaped like the longer groups, tabs, no-break spaces and soft line breaks both nets now read, holding no secret. */
const LOOK_ALIKES = [
  'these words share their sizes, three times: which would could there where',
  'request 0f8fad5b-d9cb-469f-a165-70867728950e · licence ABCDE-FGHIJ-KLMNO-PQRST · 9b2cf535 f27731c9 74343645 a3985328',
  'id\tname\tscope\n1\tcrm\tagents:read · Total:\u00a012\u00a0requests · k\te\ty\t:\t1',
  'Subject: =?utf-8?Q?caf=C3=A9?=\r\nA long line the encoder wrapped at seventy-six columns=\r\n and went on=3D fine=\n',
  `<img src="data:image/png;base64,${Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)).toString('base64')}">`,
];

describe('the leak scanner', () => {
  for (const [kind, make] of [
    ['a plain key', plainKey],
    ['a key with / + ~ ! \' ( ) * space & < > " =', hostileKey],
  ] as const) {
    describe(kind, () => {
      const secret = make();
      const scanner = new LeakScanner([secret]);
      for (const form of ECHO_FORMS) {
        it(`finds it ${form.name}`, () => {
          const text = `{"error":"denied","detail":"${form.make(secret)}","at":"x"}`;
          const found = scanner.find(text);
          expect(found.length, form.name).toBeGreaterThan(0);
          // A finding names the secret by fingerprint and the form; nothing of the secret itself.
          expect(findSecrets([secret], { texts: { finding: JSON.stringify(found) } })).toEqual([]);
          // The tests' own independent scanner agrees it is there.
          expect(findSecrets([secret], { texts: { text } })).toEqual(['text']);
        });
      }
    });
  }

  it('says which secret (by fingerprint and label) and which form', () => {
    const secret = plainKey();
    const scanner = new LeakScanner();
    scanner.add(secret, 'canary');
    const [finding] = scanner.find(`x ${Buffer.from(`u:${secret}`).toString('base64')} y`);
    expect(finding).toMatchObject({ label: 'canary', form: 'base64', whole: true });
    expect(finding!.fingerprint).toMatch(/^sha256:[0-9a-f]{8}$/);
    expect(scanner.find(`x ${secret.slice(0, -1).toUpperCase()} y`)[0]!.form).toBe('as is, in other letter case, 39 of 40 characters');
    expect(scanner.find([...secret].reverse().join(''))[0]!.form).toBe('as is, reversed');
  });

  it('does not take text for a secret: short runs, fingerprints, unrelated text', () => {
    const secret = plainKey();
    const scanner = new LeakScanner([secret]);
    expect(scanner.leaks(`x ${secret.slice(5, 16)} y`)).toBe(false); // 11 characters: below the 12 that count
    expect(scanner.leaks(`key sha256:${'0'.repeat(8)} and [key sha256:1a2b3c4d]`)).toBe(false);
    expect(scanner.leaks('The API key lacks the "agents:write" scope. Traceback (most recent call last)')).toBe(false);
  });

  it('finds a secret in a large file wherever it lies, across the boundaries of the chunks it is read in', async () => {
    const secret = plainKey();
    const scanner = new LeakScanner([secret]);
    const tmp = tempDir();
    try {
      const filler = (n: number) => 'lorem ipsum dolor '.repeat(Math.ceil(n / 18)).slice(0, n);
      const encoded = Buffer.from(`u:${secret}`).toString('base64');
      for (const at of [(1 << 20) - 20, 3 * (1 << 20) - 9_000, 5_000_000]) {
        const file = tmp.file('big.txt', `${filler(at)}${encoded}${filler(200_000)}`);
        expect(
          (await scanner.scanFile(file)).map((f) => f.form),
          String(at),
        ).toEqual(['base64']);
      }
      expect(await scanner.scanFile(tmp.file('clean.txt', filler(3_000_000)))).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('does not take what reports are made of for a spelled-out, escaped or layered secret (2,000 secrets)', () => {
    const scanner = new LeakScanner(Array.from({ length: 2000 }, plainKey));
    const lines = [
      'Mon, 30 Nov 2026 11:21:53 GMT · 2026-11-30T11:21:53.066Z · 2026-11-30 11:21:53 UTC · 127.0.0.1:38491',
      'The API key is not on this prod target: one of 401, 403, 404 for keys of test, with the key sent as a header.',
      'curl -sS -i -X POST "http://127.0.0.1:8080/v1/agents" -H "authorization: Bearer ${KEY}" · card v-pass · card-body',
      'a b c d e f g h i j k l m n o p · 1-2-3-4-5-6-7-8-9 · 0.0.0.0 · aa:bb:cc:dd:ee:ff · x_y_z_1_2_3_4_5',
      'quoted=3D=20soft=0A=0D=E2=80=94 · C:\\110\\111\\112 \\0\\1\\2\\3 · AAAAAAAAAAAAAAAAAAAAAAAAAAAA== · QUFBQUFBQUFBQUFB',
      'nop_yvir_frperg (rot13 of words) · [key sha256:1a2b3c4d] · sha256:0a1b2c3d',
      ...LOOK_ALIKES,
    ];
    expect(scanner.find(lines.join('\n').repeat(50))).toEqual([]);
    expect(scanner.find(JSON.stringify({ lines }))).toEqual([]);
  });

  it('reads a key in groups of one length, but not a text made of words of one length as one long run', () => {
    expect(longGroupsJoined('key: kp_li-ve_Q8-fTz3L-mWc1R.')).toBe('kp_live_Q8fTz3LmWc1R');
    // Kept whole, lorem ipsum (or a column of fixed-width codes) would make the view as long as the text.
    expect(longGroupsJoined('lorem ipsum dolor '.repeat(1000))).toBe('');
  });

  it('finds 75% of a 16-character secret, but not less', () => {
    const secret = `Zq${base62(14)}`;
    const scanner = new LeakScanner([secret]);
    expect(scanner.leaks(`:${secret.slice(2, 14)}:`)).toBe(true);
    expect(scanner.leaks(`:${secret.slice(2, 13)}:`)).toBe(false);
  });

  it('with thousands of secrets (a 100-profile run) still finds any one of them in a large text', () => {
    const many = Array.from({ length: 2000 }, plainKey);
    const scanner = new LeakScanner(many);
    const s = many[1234]!;
    const filler = 'lorem ipsum '.repeat(20_000);
    for (const form of ECHO_FORMS.filter((f) => ['as is', 'base64 after two bytes', 'hex', 'reversed'].includes(f.name)))
      expect(scanner.leaks(`${filler}${form.make(s)}${filler}`), form.name).toBe(true);
    expect(scanner.leaks(filler)).toBe(false);
  });
});

describe('the redactor', () => {
  for (const [kind, make] of [
    ['a plain key', plainKey],
    ['a key with / + ~ ! \' ( ) * space & < > " =', hostileKey],
  ] as const) {
    describe(kind, () => {
      const secret = make();
      const registry = new SecretRegistry();
      registry.add(secret, 'key');
      // A spelled-out key is redacted whole only when it is made of what API keys are made of (EchoForm.spelledOut).
      for (const form of ECHO_FORMS.filter((f) => f.redacted && !(f.spelledOut && kind !== 'a plain key'))) {
        it(`removes it ${form.name}`, () => {
          const redacted = registry.redact(`before ${form.make(secret)} after`);
          expect(redacted).toMatch(/^before .*\[key sha256:[0-9a-f]{8}\].* after$/s);
          expect(registry.scanner.find(redacted)).toEqual([]);
          expect(findSecrets([secret], { texts: { redacted } })).toEqual([]);
        });
      }
    });
  }

  it('never rewrites text that holds no secret', () => {
    const registry = new SecretRegistry();
    registry.add(plainKey(), 'key');
    const text = 'PASS  auth.valid-key-accepted — every allowed resource answered 200 (3 of 3); sha256:0a1b2c3d\n';
    expect(registry.redact(text)).toBe(text);
    // Runs it decodes and looks into (spelled out, octal, quoted-printable, escaped again) but that hold no secret.
    const runs =
      'a b c d e f g h i j · 2026-11-30 11:21:53.066 · \\110\\111\\112\\113 · =3D=20=0A=0D · \\\\u0041\\\\u0042\\\\u0043\\\\u0044';
    expect(registry.redact(runs)).toBe(runs);
    for (const line of LOOK_ALIKES) expect(registry.redact(line)).toBe(line);
  });

  it('redacts a text it has redacted before anew once a secret in it is registered', () => {
    const registry = new SecretRegistry();
    registry.add(plainKey(), 'key');
    const canary = plainKey();
    const text = `{"error":"forbidden","key":"${canary}"}`;
    // Redacted twice while the canary is unknown: nothing to replace.
    expect(registry.redact(text)).toBe(text);
    expect(registry.redact(text)).toBe(text);
    registry.add(canary, 'canary');
    expect(registry.redact(text)).toMatch(/^\{"error":"forbidden","key":"\[canary sha256:[0-9a-f]{8}\]"\}$/);
    // A secret added again (another label, a shell form) changes nothing.
    registry.add(canary, 'secret', { shell: '${CANARY}' });
    expect(registry.redact(text)).toMatch(/\[canary sha256:[0-9a-f]{8}\]/);
  });

  it('redacts every text as a registry that never remembered anything would, whatever it redacted before each secret came', () => {
    // A small alphabet, so that secrets share windows, contain one another and overlap; some shorter than a window.
    const unit = fc.constantFrom('a', 'b', 'k', 'p', '_', 'x', '1', 'Q', '/', '+');
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit, minLength: 4, maxLength: 24 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.string({ unit, maxLength: 6 })), { minLength: 1, maxLength: 8 }),
        (secrets, picks) => {
          const texts = picks.map(([a, b, filler]) => {
            const one = secrets[a % secrets.length]!;
            const other = secrets[b % secrets.length]!;
            return `${filler}${one}\n  ${filler}${[...other].reverse().join('')} ${other.toUpperCase()} ${Buffer.from(one).toString('base64')}`;
          });
          const remembering = new SecretRegistry();
          for (const [i, secret] of secrets.entries()) {
            for (const text of texts) remembering.redact(text);
            remembering.add(secret, `s${i}`);
            const fresh = new SecretRegistry();
            for (const [j, earlier] of secrets.slice(0, i + 1).entries()) fresh.add(earlier, `s${j}`);
            for (const text of texts) expect(remembering.redact(text)).toBe(fresh.redact(text));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names a near miss as itself, not as part of the key', () => {
    const key = plainKey();
    const registry = new SecretRegistry();
    registry.add(key, 'key');
    registry.add(key.slice(0, -1), 'near-miss');
    registry.add(key.toUpperCase(), 'near-miss');
    expect(registry.redact(`<${key.slice(0, -1)}>`)).toMatch(/^<\[near-miss sha256:[0-9a-f]{8}\]>$/);
    expect(registry.redact(`<${key}>`)).toMatch(/^<\[key sha256:[0-9a-f]{8}\]>$/);
    expect(registry.redact(`<${key.toUpperCase()}>`)).not.toContain('[key ');
  });
});
