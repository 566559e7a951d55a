// Text a target controls reaches the console: an introspected key name,
// environment or scope. A hostile target puts terminal control sequences in
// it (erase the line, return to its start, print a fake PASS, recolour, a
// bidi override that reverses what follows). keyprobe prints them as visible
// escapes, never as controls: the real FAIL stays on screen.
import { createServer } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets, listen, newSecret, runKeyprobe, type Listener } from './helpers.js';

/** C0 (other than line feed), DEL, C1, and the bidi controls. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const FAKE_PASS = '\u001b[2K\r  PASS  naming.key-name-convention — all good';

let server: Listener | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  tmp?.cleanup();
});

it('control characters in what the target says are printed as escapes: no line erased, no fake PASS', async () => {
  const key = newSecret();
  server = await listen(
    createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${key}`) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/v1/keys/self')
        return void res.end(
          JSON.stringify({
            name: `evil${FAKE_PASS}\u009b31m\u202egnirts`,
            environment: 'prod\u0008\u0008\u0008\u0008test\u0007',
            scopes: ['agents:read', 'admin:*\u001b]0;owned\u0007'],
          }),
        );
      res.end('{"agents":[]}');
    }),
  );
  tmp = tempDir('keyprobe-hostile-text-');
  const run = await runKeyprobe(
    tmp,
    { origin: server.origin, targetExtra: '  introspection: { path: /v1/keys/self }' },
    {
      secret: key,
      checks: ['naming.key-name-convention', 'env.key-matches-environment', 'privilege.least-privilege'],
      args: ['--verbose'],
    },
  );
  expectNoCrash(run);
  // The target's text was printed (its name mismatch fails the naming check)…
  expect(run.stdout).toMatch(/FAIL\s+naming\.key-name-convention — .*evil\\x1b\[2K\\x0d {2}PASS/);
  expect(run.stdout).toContain('\\u202e');
  // …and not one control character reached the terminal.
  for (const [name, text] of [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
  ] as const)
    expect(CONTROL.exec(text)?.[0], `${name} holds a control character`).toBeUndefined();
  // The reports keep what was said (escaped for their formats), for the reviewer.
  expect(run.code).toBe(1);
});

it('a secret the redactor cannot see in what the target said is withheld from the console before it is printed (exit 4)', async () => {
  const key = newSecret();
  // Half JSON escapes, half HTML entities: beyond the redactor's list of forms, not beyond the scanner.
  const half = key.length >> 1;
  const mixed =
    [...key.slice(0, half)].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('') +
    [...key.slice(half)].map((c) => `&#${c.charCodeAt(0)};`).join('');
  server = await listen(
    createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${key}`) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/v1/keys/self' ? JSON.stringify({ name: mixed }) : '{"agents":[]}');
    }),
  );
  tmp = tempDir('keyprobe-hostile-echo-');
  const run = await runKeyprobe(
    tmp,
    { origin: server.origin, targetExtra: '  introspection: { path: /v1/keys/self }' },
    { secret: key, checks: ['naming.key-name-convention'] },
  );
  expectNoCrash(run);
  expect(run.code).toBe(4);
  expect(run.stdout).toMatch(/\[keyprobe withheld output here: it held key sha256:[0-9a-f]{8} \(decoded from escapes/);
  expect(run.stderr).toContain('the console output (withheld before it was printed)');
  expectNoSecrets([key], run);
});
