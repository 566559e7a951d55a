// The operator, not the profile, decides where a key may go: --allow-origin
// (repeatable) or KEYPROBE_ALLOWED_ORIGINS refuses any profile origin outside
// the list before a single request is sent. A loopback server counts what
// reaches it, so "before a request" is measured, not assumed.
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { DEMO_PROFILE } from '../../src/paths.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET = `kp_prod_${'o'.repeat(32)}`;

const profile = (origin: string, extra = '') => `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  secret: \${env:K}
target:
  origin: ${origin}
allowed:
  - GET /v1/agents
${extra}`;

/** A loopback server that answers 200 to everything and counts the requests. */
let server: Server;
let origin = '';
let requests = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH, K: SECRET, ...extra });
const ONLY = ['--only', 'auth.valid-key-accepted'];

function write(text: string): string {
  tmp = tempDir();
  return tmp.file('p.yaml', text);
}

describe('--allow-origin and KEYPROBE_ALLOWED_ORIGINS', () => {
  it('refuses a profile origin outside the flag, before any request, naming the origin and the flag', async () => {
    const file = write(profile(origin));
    requests = 0;
    const run = await runCli(['run', file, ...ONLY, '--allow-origin', 'https://api.example.com'], { env: env(), cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `p\\.yaml:8:11: target\\.origin: ${origin} is not an allowed origin \\(--allow-origin, KEYPROBE_ALLOWED_ORIGINS: https://api\\.example\\.com\\)`,
      ),
    );
    expect(requests).toBe(0);
  });

  it('reads the list from KEYPROBE_ALLOWED_ORIGINS too (comma or space separated, normalised)', async () => {
    const file = write(profile(origin));
    requests = 0;
    const refused = await runCli(['run', file, ...ONLY], {
      env: env({ KEYPROBE_ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com' }),
      cwd: tmp.dir,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('https://a.example.com, https://b.example.com');
    expect(requests).toBe(0);

    const allowed = await runCli(['run', file, ...ONLY, '--out', 'out'], {
      env: env({ KEYPROBE_ALLOWED_ORIGINS: `https://a.example.com ${origin.toUpperCase().replace('HTTP', 'http')}/` }),
      cwd: tmp.dir,
    });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(requests).toBeGreaterThan(0);
    expect(allowed.stdout).not.toMatch(/origins were not restricted/);
  });

  it('a variable set but empty allows nothing (a missing CI variable must not lift the restriction)', async () => {
    const file = write(profile(origin));
    requests = 0;
    const run = await runCli(['run', file, ...ONLY], { env: env({ KEYPROBE_ALLOWED_ORIGINS: '' }), cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is not an allowed origin \(.*none: KEYPROBE_ALLOWED_ORIGINS is set but empty\)/);
    expect(requests).toBe(0);
  });

  it('checks lifecycle.http.origin as well', async () => {
    const file = write(
      profile(
        origin,
        `lifecycle:
  adapter: http
  http:
    origin: https://admin.attacker.example
    credential: { secret: '\${env:K}' }
    disable: POST /admin/keys/{{id}}/disable
`,
      ),
    );
    const run = await runCli(['validate', file, '--allow-origin', origin], { env: env(), cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/lifecycle\.http\.origin: https:\/\/admin\.attacker\.example is not an allowed origin/);
  });

  it('validate checks literal origins, and with --resolve the referenced ones', async () => {
    const file = write(profile('${env:TARGET}'));
    // A valid file: exit 3 only says the profile lacks what the prelaunch suite requires (a rate limit, a key to disable).
    const structure = await runCli(['validate', file, '--allow-origin', 'https://api.example.com'], { env: env(), cwd: tmp.dir });
    expect(structure.code, structure.stderr).toBe(3);
    expect(structure.stderr).not.toMatch(/not an allowed origin/);
    const resolved = await runCli(['validate', '--resolve', file, '--allow-origin', 'https://api.example.com'], {
      env: env({ TARGET: 'https://evil.example.net' }),
      cwd: tmp.dir,
    });
    expect(resolved.code).toBe(2);
    expect(resolved.stderr).toMatch(/target\.origin: https:\/\/evil\.example\.net is not an allowed origin/);
    const ok = await runCli(['validate', '--resolve', file, '--allow-origin', 'https://api.example.com'], {
      env: env({ TARGET: 'https://api.example.com' }),
      cwd: tmp.dir,
    });
    expect(ok.code, ok.stderr).toBe(3);
    expect(ok.stderr).not.toMatch(/not an allowed origin/);
  });

  it('refuses an allow-list entry that is not an origin', async () => {
    const file = write(profile(origin));
    for (const bad of ['api.example.com', 'https://api.example.com/v1', 'ftp://files.example.com']) {
      const run = await runCli(['validate', file, '--allow-origin', bad], { env: env(), cwd: tmp.dir });
      expect(run.code, bad).toBe(2);
      expect(run.stderr).toContain(`--allow-origin "${bad}" is not an origin`);
    }
    const fromEnv = await runCli(['validate', file], { env: env({ KEYPROBE_ALLOWED_ORIGINS: 'nope' }), cwd: tmp.dir });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('KEYPROBE_ALLOWED_ORIGINS: "nope" is not an origin');
  });

  it('without a list, run says once that origins were not restricted', async () => {
    const file = write(profile(origin));
    const run = await runCli(['run', file, ...ONLY, '--out', 'out'], { env: env(), cwd: tmp.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/origins were not restricted/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/--allow-origin/);
  });

  it('a Host header in a profile is refused before any request', async () => {
    const file = write(
      profile(origin).replace('  - GET /v1/agents\n', '  - { method: GET, path: /v1/agents, headers: { Host: internal.example } }\n'),
    );
    requests = 0;
    const run = await runCli(['run', file, ...ONLY], { env: env(), cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/allowed\[0\]\.headers\.Host: "Host" cannot be set by a profile/);
    expect(requests).toBe(0);
  });
});

describe('keyprobe demo under an allow-list', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo();
  });
  afterAll(() => demo.target.close());

  it('always allows the reference target it started itself', async () => {
    tmp = tempDir();
    const run = await runCli(['demo', ...ONLY, '--out', 'out', '--allow-origin', 'https://api.example.com'], {
      env: env({ KEYPROBE_ALLOWED_ORIGINS: 'https://other.example.com' }),
      cwd: tmp.dir,
    });
    expect(run.code, run.stderr).toBe(0);
  });

  it('allows it too when the demo runs with platform behaviours (its profile, declaring them, is rewritten elsewhere)', async () => {
    tmp = tempDir();
    const run = await runCli(
      [
        'demo',
        ...ONLY,
        '--behaviour',
        'client-rate-limit=30',
        '--behaviour',
        'delete-only',
        '--out',
        'out',
        '--allow-origin',
        'https://api.example.com',
      ],
      { env: env(), cwd: tmp.dir },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /The demo profile declares rateLimit.scope: client and rateLimit.limit: 30 \(behaviour client-rate-limit\); lifecycle.http without disable and enable \(behaviour delete-only\)/,
    );
  });

  it('run refuses the demo profile when its target is not allowed', async () => {
    tmp = tempDir();
    const run = await runCli(['run', DEMO_PROFILE, ...ONLY, '--allow-origin', 'https://api.example.com'], {
      env: { ...env(), ...demo.env },
      cwd: tmp.dir,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`target.origin: ${demo.target.origin} is not an allowed origin`);
  });
});
