// results.json: the RunResult as is, with its schema version, so it can be
// rendered again later (`keyprobe report`) or merged with other runs.
//
// Written one profile at a time: the file is byte for byte
// JSON.stringify(result, null, 2), but a thousand profiles never become one
// string in memory (issue #15).
import { join } from 'node:path';
import type { ProfileSource, RunResult } from '../result.js';
import type { FileReporter } from './reporter.js';
import { writeText } from './write-text.js';

export const jsonReporter: FileReporter = {
  name: 'json',
  async write(result, outDir) {
    const file = join(outDir, 'results.json');
    await writeText(file, resultsJsonChunks(result));
    return [file];
  },
};

/** JSON.stringify(result, null, 2) and a newline, in pieces: the top level, then each profile on its own. */
export function* resultsJsonChunks(result: RunResult<ProfileSource>): Generator<string> {
  // The keys JSON.stringify would write (it leaves out undefined values), in their order; the profiles are read one by one.
  const entries = Object.entries(result).filter(([key, v]) => key === 'profiles' || JSON.stringify(v) !== undefined);
  yield '{';
  for (const [k, [key, value]] of entries.entries()) {
    yield `${k === 0 ? '' : ','}\n  ${JSON.stringify(key)}: `;
    if (key === 'profiles') {
      // Each element sits two levels deep: indented by 4, and so are its own lines (stringifiedAt).
      let i = 0;
      for (const profile of value as ProfileSource) yield `${i++ === 0 ? '[' : ','}\n    ${stringifiedAt(profile ?? null, 2)}`;
      yield i === 0 ? '[]' : '\n  ]';
    } else yield stringifiedAt(value, 1);
  }
  yield entries.length > 0 ? '\n}\n' : '}\n';
}

/**
 * JSON.stringify(value, null, 2) as it reads `depth` levels deep in the whole
 * document (every line after the first moved right by two spaces a level):
 * written inside arrays of arrays and cut out, so that stringify indents each
 * line as it writes it. Moving the lines afterwards copied every profile's
 * text once more (a thousand profiles' evidence).
 */
function stringifiedAt(value: unknown, depth: 1 | 2): string {
  // `[\n  ` … `\n]`, or `[\n  [\n    ` … `\n  ]\n]`, around the value.
  return depth === 1 ? JSON.stringify([value], null, 2).slice(4, -2) : JSON.stringify([[value]], null, 2).slice(10, -6);
}
