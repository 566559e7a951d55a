// The RunResult contract (src/result.ts) is the one description of
// results.json: what the json reporter writes is read back by the zod reader
// unchanged for every sample shape, the published schemas/results.schema.json
// accepts it (checked with a real validator), and real results.json files of
// a demo run and an audit validate too.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { jsonReporter } from '../../src/reporters/json.js';
import { readResults } from '../../src/reporters/results-file.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { ALL_SHAPES } from './sample-results.js';

const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', 'results.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('results.json: the RunResult contract', () => {
  it.each(Object.keys(ALL_SHAPES))(
    '%s: written, read back through the zod reader unchanged, and valid against results.schema.json',
    async (name) => {
      const result = ALL_SHAPES[name]!();
      const dir = join(tmp.dir, name);
      mkdirSync(dir, { recursive: true });
      const [file] = await jsonReporter.write(result, dir);
      const back = await readResults(file!);
      expect(back).toEqual(JSON.parse(JSON.stringify(result)));
      expect(validate(JSON.parse(readFileSync(file!, 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
    },
  );

  it('the reader rejects a field of the wrong type with its path (exit 2), as the schema does', async () => {
    const result = JSON.parse(JSON.stringify(ALL_SHAPES.everyField!())) as {
      profiles: { checks: { lifecycleActions: { attempts: { status: unknown }[] }[] }[] }[];
    };
    result.profiles[0]!.checks[0]!.lifecycleActions[0]!.attempts[0]!.status = 'five hundred';
    const file = tmp.file('bad.json', JSON.stringify(result));
    await expect(readResults(file)).rejects.toMatchObject({
      problems: [{ path: 'profiles[0].checks[0].lifecycleActions[0].attempts[0].status' }],
    });
    expect(validate(result)).toBe(false);
  });

  it("a demo run's and an audit's results.json validate against results.schema.json", async () => {
    const demo = join(tmp.dir, 'demo');
    const run = await runCli(['demo', '--out', demo, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const audit = join(tmp.dir, 'audit');
    expect((await runCli(['audit', '--demo', '--out', audit, '--quiet'])).code).not.toBe(2);
    for (const dir of [demo, audit]) {
      const data = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      expect(validate(data), `${dir}: ${JSON.stringify(validate.errors)}`).toBe(true);
      await expect(readResults(join(dir, 'results.json'))).resolves.toBeDefined();
    }
  }, 60_000);
});
