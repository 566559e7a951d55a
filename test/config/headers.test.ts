// A profile may add request headers, but not the ones that decide where and
// how a request travels: Host would steer it (and the key) to another virtual
// host behind the same address, and hop-by-hop framing headers belong to the
// HTTP client. Every headers map of a profile is checked, and so are the
// credential header names.
import { afterEach, describe, expect, it } from 'vitest';
import { checkProfileFile } from '../../src/config/load-profile.js';
import { tempDir } from '../helpers/tmp.js';

const base = (extra = '', allowedHeaders = '') => `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  secret: \${env:K}
target:
  origin: http://127.0.0.1:9
allowed:
  - method: GET
    path: /v1/agents
${allowedHeaders}${extra}`;

const env = { K: `kp_prod_${'h'.repeat(32)}`, ADMIN: `adm_${'a'.repeat(32)}` };

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

function problemsOf(text: string) {
  tmp = tempDir();
  return checkProfileFile(tmp.file('p.yaml', text), env).problems;
}

const FORBIDDEN = [
  'Host',
  'host',
  'Connection',
  'Keep-Alive',
  'Proxy-Authorization',
  'Proxy-Connection',
  'TE',
  'Trailer',
  'Transfer-Encoding',
  'Upgrade',
  'Content-Length',
];

describe('headers a profile cannot set', () => {
  it.each(FORBIDDEN)('refuses %s in allowed[].headers, located at the header', (name) => {
    const problems = problemsOf(base('', `    headers: { ${name}: x }\n`));
    expect(problems).toEqual([
      expect.objectContaining({
        path: `allowed[0].headers.${name}`,
        line: 12,
        message: expect.stringMatching(new RegExp(`^"${name}" `)),
      }),
    ]);
  });

  it('says why Host is refused', () => {
    expect(problemsOf(base('', '    headers: { Host: internal.example.com }\n'))[0]?.message).toMatch(
      /"Host" cannot be set by a profile: keyprobe sends the Host of target\.origin/,
    );
  });

  it('checks every headers map: denied, rateLimit.probe, lifecycle.probe and lifecycle templates', () => {
    const problems = problemsOf(
      base(`denied:
  - method: GET
    path: /v1/workflows
    headers: { Connection: close }
rateLimit:
  limit: 5
  probe: { method: GET, path: /v1/agents, headers: { Transfer-Encoding: chunked } }
lifecycle:
  adapter: http
  probe: { method: GET, path: /v1/agents, headers: { Upgrade: h2c } }
  http:
    credential: { secret: '\${env:ADMIN}' }
    disable: { method: POST, path: "/admin/keys/{{id}}/disable", headers: { Host: admin.internal } }
`),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'denied[0].headers.Connection',
      'rateLimit.probe.headers.Transfer-Encoding',
      'lifecycle.probe.headers.Upgrade',
      'lifecycle.http.disable.headers.Host',
    ]);
  });

  it('refuses a header name that is not an HTTP token, and a value with a line break', () => {
    const problems = problemsOf(base('', '    headers: { "X Bad": x, "X-Split": "a\\r\\nInjected: yes" }\n'));
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['allowed[0].headers.X Bad', expect.stringMatching(/"X Bad" is not a valid header name/)],
      ['allowed[0].headers.X-Split', expect.stringMatching(/the value of "X-Split" contains a line break or NUL/)],
    ]);
  });

  it('refuses credential header names that are hop-by-hop, Host, or not a token', () => {
    const auth = (header: string) =>
      base().replace('  origin: http://127.0.0.1:9\n', `  origin: http://127.0.0.1:9\n  auth: { header: "${header}", scheme: "" }\n`);
    expect(problemsOf(auth('Host'))).toEqual([expect.objectContaining({ path: 'target.auth.header', line: 9 })]);
    expect(problemsOf(auth('X-Api-Key:'))[0]?.message).toMatch(/is not a valid header name/);
    expect(problemsOf(auth('X-Api-Key'))).toEqual([]);
    const admin = problemsOf(
      base(`lifecycle:
  adapter: http
  http:
    credential: { header: Proxy-Authorization, secret: '\${env:ADMIN}' }
    disable: POST /admin/keys/{{id}}/disable
`),
    );
    expect(admin.map((p) => p.path)).toEqual(['lifecycle.http.credential.header']);
  });

  it('still accepts ordinary headers', () => {
    expect(problemsOf(base('', '    headers: { Accept: application/json, X-Request-Id: abc-123, Idempotency-Key: k1 }\n'))).toEqual([]);
  });
});
