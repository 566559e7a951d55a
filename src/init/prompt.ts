// Asks questions on a text stream, one line per answer. Lines are pulled on
// demand from readline's async iterator, which buffers them, so answers piped
// in ahead of the questions (a script, a test) are not lost.
import { createInterface } from 'node:readline';
import { UsageError } from '../errors.js';

export interface Asker {
  /**
   * Asks until `check` accepts the answer (it returns a problem to show, or
   * undefined). An empty answer takes `defaultValue` when there is one.
   */
  ask(question: string, opts?: { defaultValue?: string; check?: (answer: string) => string | undefined }): Promise<string>;
  close(): void;
}

export function lineAsker(input: NodeJS.ReadableStream, output: { write(text: string): unknown }): Asker {
  const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(question, { defaultValue, check } = {}) {
      for (;;) {
        output.write(`${question}${defaultValue ? ` [${defaultValue}]` : ''}: `);
        const next = await lines.next();
        if (next.done) {
          output.write('\n');
          throw new UsageError(
            `input ended before "${question}" was answered; answer every question, or pass the values as flags (see keyprobe init --help)`,
          );
        }
        const answer = next.value.trim() || defaultValue || '';
        const problem = check?.(answer);
        if (!problem) return answer;
        output.write(`  ${problem}\n`);
      }
    },
    close: () => rl.close(),
  };
}
