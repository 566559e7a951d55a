// Reads a results.json back for `keyprobe report`: the file must be a RunResult
// of a schema version this keyprobe renders. Every problem is reported with
// its field path; the data itself is used as written. The schema is the
// RunResult contract itself (src/result.ts), never a copy of it.
import { readFile } from 'node:fs/promises';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { RESULT_SCHEMA_VERSION, type RunResult, runResultSchema } from '../result.js';
import { formatPath } from '../config/zod-problems.js';

export async function readResults(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([
      { file, path: '', message: `is not JSON (${(err as Error).message}); expected a results.json written by keyprobe` },
    ]);
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError([{ file, path: '', message: 'expected a results.json object written by keyprobe' }]);
  if (version !== RESULT_SCHEMA_VERSION) {
    const found = version === undefined ? 'none' : JSON.stringify(version);
    throw new ConfigError([
      {
        file,
        path: 'schemaVersion',
        message: `this keyprobe renders results of schema version ${RESULT_SCHEMA_VERSION}, the file has ${found}${
          typeof version === 'number' && version < RESULT_SCHEMA_VERSION
            ? ' (an older keyprobe wrote it: render it with that keyprobe, or run again)'
            : ''
        }`,
      },
    ]);
  }
  const parsed = runResultSchema.safeParse(data);
  if (!parsed.success) {
    const problems: ConfigProblem[] = parsed.error.issues.slice(0, 20).map((i) => ({ file, path: formatPath(i.path), message: i.message }));
    throw new ConfigError(problems);
  }
  // The file as written (zod would drop fields a newer minor version added).
  return data as RunResult;
}
