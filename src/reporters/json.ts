// results.json: the RunResult as is, with its schema version, so it can be
// rendered again later (`keyprobe report`) or merged with other runs.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileReporter } from './reporter.js';

export const jsonReporter: FileReporter = {
  name: 'json',
  async write(result, outDir) {
    const file = join(outDir, 'results.json');
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`, 'utf8');
    return [file];
  },
};
