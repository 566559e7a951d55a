// Files keyprobe reads must be regular files of a bounded size, refused before
// a byte is read: a FIFO would block the process (and with it SIGINT
// handling) forever, /dev/zero would be read until memory runs out. These run
// the real bin in a child process with a deadline, so a hang or a runaway read
// fails the test instead of the test run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = join(PACKAGE_ROOT, 'dist', 'cli.js');
const SECRET = `kp_prod_${'s'.repeat(32)}`;

const profile = (secretRef: string, ca = '') => `key:
  name: crm-prod-agent-call
  system: crm
  environment: prod
  purpose: agent-call
  secret: ${secretRef}
target:
  origin: http://127.0.0.1:9
${ca ? `  ca: ${ca}\n` : ''}allowed:
  - GET /v1/agents
`;

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/**
 * A hang is forever (a FIFO blocks until a writer comes), so the deadline only has to tell one from a slow
 * start: at load ~18 on 2 cores, `validate` of a FIFO (0.45 s of CPU) was killed at a 10 s deadline (2026-11-30,
 * in two of six runs of the unit group). The tests that spawn several runs have time for each to reach it.
 */
const HANG_MS = 25_000;

/** Runs the built CLI; a run still going after HANG_MS is killed and fails the test. */
function keyprobe(args: string[]) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: tmp.dir,
    env: { PATH: process.env.PATH, K: SECRET, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: HANG_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
}

function fifo(name: string): string {
  const path = join(tmp.dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('special files are refused before reading', { timeout: 4 * HANG_MS + 10_000 }, () => {
  it('a FIFO as the profile: exit 2 at once, no hang', () => {
    const path = fifo('profile.yaml');
    for (const command of [
      ['validate', path],
      ['run', path],
    ]) {
      const r = keyprobe(command);
      expect(r.signal, `${command[0]} hung`).toBeNull();
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${path}: is a FIFO (named pipe), not a regular file`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a FIFO as --suite, and as a ${file:} reference', () => {
    writeFileSync(join(tmp.dir, 'p.yaml'), profile('${file:pipe}'));
    fifo('pipe');
    const suite = fifo('suite.yaml');
    const r = keyprobe(['run', 'p.yaml', '--suite', suite]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${suite}: is a FIFO (named pipe), not a regular file`);
    expect(r.stderr).toMatch(/p\.yaml:6:11: key\.secret: the file pipe is a FIFO \(named pipe\), not a regular file/);
    const v = keyprobe(['validate', '--resolve', 'p.yaml']);
    expect(v.signal).toBeNull();
    expect(v.code).toBe(2);
  });

  it('/dev/zero as the profile, as a ${file:} reference in an allowed folder, as target.ca and as --ca', () => {
    const asProfile = keyprobe(['validate', '/dev/zero']);
    expect(asProfile.signal).toBeNull();
    expect(asProfile.code).toBe(2);
    expect(asProfile.stderr).toContain('/dev/zero: is a character device, not a regular file');

    writeFileSync(join(tmp.dir, 'p.yaml'), profile('${file:/dev/zero}'));
    const asReference = keyprobe(['validate', '--resolve', '--secrets-dir', '/dev', 'p.yaml']);
    expect(asReference.signal).toBeNull();
    expect(asReference.code).toBe(2);
    expect(asReference.stderr).toMatch(/key\.secret: the file \/dev\/zero is a character device, not a regular file/);

    writeFileSync(join(tmp.dir, 'p.yaml'), profile('${env:K}', '/dev/zero'));
    const asCa = keyprobe(['run', '--secrets-dir', '/dev', 'p.yaml']);
    expect(asCa.signal).toBeNull();
    expect(asCa.code).toBe(2);
    expect(asCa.stderr).toMatch(/target\.ca: the file \/dev\/zero is a character device, not a regular file/);

    writeFileSync(join(tmp.dir, 'p.yaml'), profile('${env:K}'));
    const asOption = keyprobe(['run', '--ca', '/dev/zero', 'p.yaml']);
    expect(asOption.signal).toBeNull();
    expect(asOption.code).toBe(2);
    expect(asOption.stderr).toContain('--ca /dev/zero: is a character device, not a regular file');
  });

  it('an oversized profile is refused by its size, not read', () => {
    mkdirSync(join(tmp.dir, 'big'));
    const big = join(tmp.dir, 'big', 'p.yaml');
    writeFileSync(big, `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    const r = keyprobe(['validate', big]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/file is 2097155 bytes; at most 1048576 are read/);
  });

  it('--secrets-dir must name a folder', () => {
    writeFileSync(join(tmp.dir, 'p.yaml'), profile('${env:K}'));
    const r = keyprobe(['validate', '--resolve', '--secrets-dir', 'nowhere', 'p.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--secrets-dir nowhere: .*not found/);
  });
});
