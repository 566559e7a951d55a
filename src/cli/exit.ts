// The one place where errors become exit codes and messages. Users never see
// a stack trace: an unexpected error is reported as a bug with its message.
// Messages can quote a profile or a target: control characters are shown, not obeyed.
import { ConfigError, EXIT, InterruptedError, SecretLeakError, UsageError, formatProblem } from '../errors.js';
import { forTerminal } from '../terminal-text.js';
import type { CliIo } from './io.js';

export function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof ConfigError) {
    io.stderr.write(`keyprobe: ${err.problems.length === 1 ? 'a problem' : `${err.problems.length} problems`} in the input:\n`);
    for (const p of err.problems) io.stderr.write(`  ${forTerminal(formatProblem(p))}\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError) {
    io.stderr.write(`keyprobe: ${forTerminal(err.message)}\n`);
    return EXIT.usage;
  }
  if (err instanceof SecretLeakError) {
    io.stderr.write(`keyprobe: ${forTerminal(err.message)}\n`);
    return EXIT.secretLeak;
  }
  if (err instanceof InterruptedError) {
    io.stderr.write(`keyprobe: ${forTerminal(err.message)}\n`);
    return EXIT.unverified;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(
    `keyprobe: unexpected error: ${forTerminal(message)}\n(this is a bug in keyprobe; please report it with the command you ran)\n`,
  );
  return EXIT.unverified;
}
