// The environment is read in one place: the CLI (src/cli/). It resolves what
// it needs once (io.env: ${env:…} references, NO_COLOR/CI/TERM, the lifecycle
// commands' PATH and HOME, $USER for the operator, KEYPROBE_* settings) and
// passes it down as arguments and options, so a library caller or a test sees
// exactly what it passed and a run never depends on a variable nobody handed
// it. src/reference, the deliberately faulty target, reads no environment
// either: its knobs are options of startReferenceTarget, and it has no CLI of
// its own, so there is no exception to this rule.
import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { tsFiles } from './ts-files.js';

const SRC = resolve(PACKAGE_ROOT, 'src');
/** The folders that may read the environment, relative to src/. */
const READERS = ['cli'];
/**
 * Files that hide the environment from a library rather than read it, and the
 * only lines of theirs that may touch it: src/config/yaml-parse.ts swaps in an
 * empty one while the yaml library parses, since that library looks up
 * LOG_TOKENS once a token (slow with thousands of variables) and prints the
 * tokens past the output guard when it is set.
 */
const HIDERS: Readonly<Record<string, readonly string[]>> = {
  [join('config', 'yaml-parse.ts')]: ['const env = process.env;', 'process.env = {};', 'process.env = env;'],
};

/** `process.env`, `process['env']`, or `env` taken from node:process. */
const READS_ENV = /\bprocess\s*(?:\.\s*env\b|\[\s*['"`]env['"`]\s*\])|import\s*\{[^}]*\benv\b[^}]*\}\s*from\s*['"](?:node:)?process['"]/;

/** file:line of every environment read outside the allowed folders. */
function readsOutside(srcDir: string): string[] {
  return tsFiles(srcDir).flatMap((file) => {
    const rel = relative(srcDir, file);
    if (READERS.includes(rel.split(sep)[0]!)) return [];
    const hides = HIDERS[rel] ?? [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => {
        const code = line.trim();
        if (hides.length > 0 && (hides.includes(code) || code.startsWith('//'))) return [];
        return READS_ENV.test(line) ? [`src/${rel}:${i + 1}: ${code}`] : [];
      });
  });
}

describe('the environment', () => {
  it('is read only by the CLI (src/cli/); everything below takes it as an argument', () => {
    expect(readsOutside(SRC), 'pass the value down from the CLI (io.env) instead').toEqual([]);
  });

  it('is read by the CLI, once, into io.env (the check above looks at real code)', () => {
    const io = readFileSync(join(SRC, 'cli', 'io.ts'), 'utf8');
    expect(io).toMatch(READS_ENV);
  });

  it('finds every spelling of a read (the detector itself)', () => {
    for (const line of [
      'const e = process.env;',
      'f(process.env.USER)',
      "process['env'].HOME",
      "import { env } from 'node:process';",
      "import { argv, env } from 'process';",
    ])
      expect(line).toMatch(READS_ENV);
    for (const line of ['const env = io.env;', 'opts.env', '// the process environment', "import { argv } from 'node:process';"])
      expect(line).not.toMatch(READS_ENV);
  });
});
