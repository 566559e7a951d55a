// A redaction tag tells a security reviewer which secret was sent. A near
// miss of a key made of short groups (`ABCD-EFGH-…`, case flipped) reads as a
// spelled-out run too, and with its dashes removed it folds to the key's
// forms: it was once shown with the key's tag, saying that the real key was
// sent in a reverse probe. The tag is the secret the text is letter for
// letter; the key's only where the key's text is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { maskCredential } from '../../src/http/credential-headers.js';
import { fingerprint, SecretRegistry } from '../../src/secrets.js';
import { runOne } from '../checks/run-one.js';
import { tempDir } from '../helpers/tmp.js';
import { json, startServer, type TestServer } from '../http/servers.js';
import { runKeyprobe } from '../reliability/helpers.js';
import { BASE62, randomCharsWith } from '../helpers/random-keys.js';

/** A key made of `count` groups of four characters of `alphabet`, with a letter in it (its case-flip differs). */
const grouped = (alphabet: string, count: number) =>
  randomCharsWith(alphabet, 4 * count, /[A-Za-z]/)
    .match(/.{4}/g)!
    .join('-');

/** Key shapes, made at test time: grouped (upper case, mixed), prefixed, plain hex, base64-ish. */
const KEYS = [
  { shape: 'grouped, upper case', key: grouped('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 5) },
  { shape: 'grouped, mixed case', key: grouped(BASE62, 5) },
  { shape: 'prefixed', key: `kp_live_${randomCharsWith(BASE62, 22, /[a-z].*[A-Z]|[A-Z].*[a-z]/)}` },
  { shape: 'plain hex', key: randomCharsWith('0123456789abcdef', 32, /[a-f]/) },
  { shape: 'base64-ish', key: randomCharsWith(`${BASE62}+/`, 31, /[A-Za-z]/) },
];

const flipCase = (text: string) => [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
const spelledOut = (text: string) => [...text].join(' ');
const tag = (label: string, secret: string) => `[${label} ${fingerprint(secret)}]`;

describe('the redactor names the secret a text really is', () => {
  for (const { shape, key } of KEYS) {
    it(`${shape}: the key and its case-flipped near miss each keep their own tag, as they are and spelled out`, () => {
      const flipped = flipCase(key);
      const registry = new SecretRegistry();
      registry.add(key, 'key');
      registry.add(flipped, 'near-miss');
      const redact = (text: string) => registry.redact(text);
      expect(maskCredential(`Bearer ${key}`, redact)).toBe(`Bearer ${tag('key', key)}`);
      expect(maskCredential(`Bearer ${flipped}`, redact)).toBe(`Bearer ${tag('near-miss', flipped)}`);
      expect(redact(`<${spelledOut(key)}>`)).toBe(`<${tag('key', key)}>`);
      expect(redact(`<${spelledOut(flipped)}>`)).toBe(`<${tag('near-miss', flipped)}>`);
      // Registered the other way round, the same: the first secret registered is not the answer by default.
      const reversed = new SecretRegistry();
      reversed.add(flipped, 'near-miss');
      reversed.add(key, 'key');
      expect(reversed.redact(`Bearer ${key}`)).toBe(`Bearer ${tag('key', key)}`);
      expect(reversed.redact(`Bearer ${flipped}`)).toBe(`Bearer ${tag('near-miss', flipped)}`);
    });
  }

  it('a grouped secret that is, with its dashes removed, another secret is named after itself', () => {
    const groupedKey = grouped('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 4);
    const compact = groupedKey.replaceAll('-', '');
    for (const order of [
      [compact, groupedKey],
      [groupedKey, compact],
    ]) {
      const registry = new SecretRegistry();
      for (const s of order) registry.add(s, s === compact ? 'compact' : 'grouped');
      expect(registry.redact(`<${groupedKey}>`)).toBe(`<${tag('grouped', groupedKey)}>`);
      expect(registry.redact(`<${compact}>`)).toBe(`<${tag('compact', compact)}>`);
    }
  });
});

describe('auth.near-miss-key-rejected evidence names each near miss, never the key (over loopback HTTP)', () => {
  let server: TestServer;
  let served = '';
  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (req.headers.authorization === `Bearer ${served}`) json(res, 200, { agents: [] });
      else json(res, 401, { error: 'invalid key' });
    });
  });
  afterAll(() => server.close());

  for (const { shape, key } of KEYS) {
    it(shape, async () => {
      served = key;
      const input = {
        key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: key },
        target: { origin: server.origin },
        allowed: ['GET /v1/agents'],
      } as ProfileInput;
      const r = await runOne('auth.near-miss-key-rejected', input);
      expect(r.verdict, r.message).toBe('pass');
      const authorization = (label: string) => r.evidence.find((e) => e.label.startsWith(label))?.requestHeaders.authorization;
      expect(authorization('control (the real key)')).toBe(`Bearer ${tag('key', key)}`);
      expect(authorization('case flipped')).toBe(`Bearer ${tag('near-miss', flipCase(key))}`);
      // No near miss's exchange shows the key's tag.
      const probes = r.evidence.filter((e) => !e.label.startsWith('control'));
      expect(probes.length).toBeGreaterThanOrEqual(5);
      for (const e of probes) expect(JSON.stringify(e), e.label).not.toContain(tag('key', key));
    });
  }
});

describe('keyprobe run with a grouped key: the reports name the near miss that was sent (through the CLI)', () => {
  const key = grouped('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', 5);
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (req.headers.authorization === `Bearer ${key}`) json(res, 200, { agents: [] });
      else json(res, 401, { error: 'invalid key' });
    });
  });
  afterAll(() => server.close());

  it('results.json and report.html show the case-flipped near miss by its own tag, and the key only where it was sent', async () => {
    const tmp = tempDir('keyprobe-grouped-key-');
    try {
      const run = await runKeyprobe(tmp, { origin: server.origin }, { secret: key, checks: ['auth.near-miss-key-rejected'] });
      expect(run.code, run.stderr).toBe(0);
      const evidence = run.checks[0]!.evidence;
      const flipped = evidence.find((e) => e.label.startsWith('case flipped'))!;
      expect(flipped.requestHeaders.authorization).toBe(`Bearer ${tag('near-miss', flipCase(key))}`);
      for (const e of evidence) {
        if (e.label.startsWith('control')) expect(e.requestHeaders.authorization).toBe(`Bearer ${tag('key', key)}`);
        else expect(JSON.stringify(e), e.label).not.toContain(fingerprint(key));
      }
      const html = readFileSync(join(run.outDir, 'report.html'), 'utf8');
      expect(html).toContain(tag('near-miss', flipCase(key)).slice(1, -1));
    } finally {
      tmp.cleanup();
    }
  });
});
