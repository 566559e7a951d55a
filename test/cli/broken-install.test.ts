// An install missing a file it ships with (here the demo profile) is a clear
// message and exit 2, never a stack trace or a hang. Before the fix, `demo`
// reported "unexpected error: ENOENT … (this is a bug)" and then never exited:
// the reference target it had started kept the process alive.
import { spawnSync } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tempDir } from '../helpers/tmp.js';

it('demo in an install without its bundled profile: exit 2 naming the missing file, at once', () => {
  const tmp = tempDir();
  try {
    // A copy of the package without profiles/ (dist is copied, not linked: its own location is the package root).
    const root = join(tmp.dir, 'keyprobe');
    cpSync(join(PACKAGE_ROOT, 'dist'), join(root, 'dist'), { recursive: true });
    cpSync(join(PACKAGE_ROOT, 'suites'), join(root, 'suites'), { recursive: true });
    cpSync(join(PACKAGE_ROOT, 'package.json'), join(root, 'package.json'));
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(root, 'node_modules'));

    const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'demo'], {
      cwd: tmp.dir,
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    expect(r.signal, 'keyprobe hung and was killed').toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the demo profile that comes with keyprobe is missing');
    expect(r.stderr).toContain(join(root, 'profiles', 'crm-prod-agent-call.yaml'));
    expect(r.stderr).not.toContain('this is a bug');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  } finally {
    tmp.cleanup();
  }
});
