// A TLS target with a self-signed certificate (made at test time with the
// openssl command line): without its CA keyprobe gives `error` naming the CA
// problem and the way out; `--ca <file>` or `target.ca` in the profile make it work.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { existingChecks, expectNoCrash, expectNoSecrets, listen, newSecret, profileYaml, runKeyprobe, type Listener } from './helpers.js';
import { runCli } from '../helpers/cli.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const CHECKS = ['auth.valid-key-accepted', 'auth.missing-key-rejected'];
let certs: ReturnType<typeof tempDir>;
let server: Listener;
let certFile: string;

beforeAll(async () => {
  certs = tempDir('keyprobe-tls-');
  certFile = join(certs.dir, 'cert.pem');
  const keyFile = join(certs.dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  server = await listen(
    createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
      if (req.headers.authorization) res.writeHead(200, { 'content-type': 'application/json' }).end('{"agents":[]}');
      else res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{"error":"missing_key"}');
    }),
    'https',
  );
}, 20_000);

afterAll(async () => {
  await server?.close();
  certs?.cleanup();
});

// openssl ships with every Node machine this project runs on; where it is missing the reason shows in the skip.
describe.skipIf(!hasOpenssl())('TLS target with a self-signed certificate (needs the openssl command)', () => {
  it('without its CA: error naming the self-signed certificate and --ca / target.ca, exit 3, reports written', async () => {
    const tmp = tempDir('keyprobe-rel-');
    try {
      const secret = newSecret();
      const run = await runKeyprobe(tmp, { origin: server.origin }, { secret, checks: CHECKS });
      expectNoCrash(run);
      expect(run.code).toBe(EXIT.unverified);
      expect(run.checks).toHaveLength(existingChecks(CHECKS).length);
      for (const c of run.checks) {
        expect(c.verdict).toBe('error');
        expect(c.message).toMatch(
          new RegExp(
            `the TLS certificate of 127\\.0\\.0\\.1:${server.port} is self-signed and not trusted \\(DEPTH_ZERO_SELF_SIGNED_CERT\\): pass the CA certificate that signed it with --ca <file> or target\\.ca`,
          ),
        );
      }
      expectNoSecrets([secret], run);
    } finally {
      tmp.cleanup();
    }
  });

  it('--ca <file> makes it work', async () => {
    const tmp = tempDir('keyprobe-rel-');
    try {
      const secret = newSecret();
      const run = await runKeyprobe(tmp, { origin: server.origin }, { secret, checks: CHECKS, args: ['--ca', certFile] });
      expectNoCrash(run);
      expect(run.checks.map((c) => c.verdict)).toEqual(['pass', 'pass']);
      expect(run.code).toBe(EXIT.pass);
      expectNoSecrets([secret], run);
    } finally {
      tmp.cleanup();
    }
  });

  it('target.ca in the profile (relative to the profile file) makes it work', async () => {
    const tmp = tempDir('keyprobe-rel-');
    try {
      tmp.file('target-ca.pem', readFileSync(certFile, 'utf8'));
      const secret = newSecret();
      const run = await runKeyprobe(tmp, { origin: server.origin, ca: 'target-ca.pem' }, { secret, checks: CHECKS });
      expectNoCrash(run);
      expect(run.checks.map((c) => c.verdict)).toEqual(['pass', 'pass']);
      expect(run.code).toBe(EXIT.pass);
      expectNoSecrets([secret], run);
    } finally {
      tmp.cleanup();
    }
  });

  it('a target.ca that cannot be read is a located profile problem (exit 2)', async () => {
    const tmp = tempDir('keyprobe-rel-');
    try {
      const profile = tmp.file('profile.yaml', profileYaml({ origin: server.origin, ca: 'missing-ca.pem' }));
      const run = await runCli(['run', profile, '--out', join(tmp.dir, 'r')], {
        env: { PATH: process.env.PATH, KP_REL_KEY: newSecret() },
        cwd: tmp.dir,
      });
      expectNoCrash(run);
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr).toMatch(/profile\.yaml:12:\d+: target\.ca: the file missing-ca\.pem does not exist/);
    } finally {
      tmp.cleanup();
    }
  });
});
