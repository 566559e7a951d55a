// The command line. Each command lives in its own module and is loaded only
// when used, so `--help` and `--version` stay fast. Commands return an exit
// code; only the bin sets process.exitCode.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UsageError } from '../errors.js';
import { TOOL } from '../version.js';
import { exitCodeFor } from './exit.js';
import type { CliIo } from './io.js';

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number of at least 1, got "${value}"`);
  return n;
};

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.pass;
  const program = new Command('keyprobe');
  program
    .description('Pre-launch conformance harness for API keys: proves a key reaches what it should, is refused everywhere else, dies when disabled and is throttled when it calls too often.')
    .version(TOOL.version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  const run = (loader: () => Promise<(...args: never[]) => Promise<number>>) =>
    async (...args: unknown[]) => {
      const action = await loader();
      exitCode = await (action as (...a: unknown[]) => Promise<number>)(...args);
    };

  program
    .command('run')
    .description('Run a suite of checks for one or more profiles against their live targets.')
    .argument('<profile...>', 'profile files (YAML)')
    .option('-s, --suite <name|file>', 'suite name (bundled) or file', 'prelaunch')
    .option('-o, --out <dir>', 'report directory (default: reports/<run-id>)')
    .option('--only <check-id...>', 'run only these checks (repeat or comma-separate)', collect)
    .option('--skip <check-id...>', 'leave out these checks', collect)
    .option('-c, --concurrency <n>', 'profiles run in parallel', positiveInt('--concurrency'), 4)
    .option('--budget <n>', 'override every profile\'s request budget', positiveInt('--budget'))
    .option('--ca <file>', 'trust this CA certificate (PEM) for the target')
    .option('--operator <name>', 'who ran this, for the report (default: the OS user)')
    .option('-i, --interactive', 'allow manual lifecycle steps (asks a person to act)')
    .option('-q, --quiet', 'print only failures and the summary')
    .option('-v, --verbose', 'print progress and advisories')
    .addHelpText('after', '\nExample:\n  $ keyprobe run profiles/crm-prod-agent-call.yaml --suite prelaunch --out reports/crm\n')
    .action(run(async () => (await import('./commands/run.js')).runCommand(io)));

  program
    .command('validate')
    .description('Check profiles and suites for problems without sending a request.')
    .argument('<file...>', 'profile or suite files (a file with a top-level "checks" list is a suite)')
    .option('--resolve', 'also resolve ${env:…} and ${file:…} references')
    .addHelpText('after', '\nExample:\n  $ keyprobe validate profiles/crm-prod-agent-call.yaml suites/prelaunch.yaml\n')
    .action(run(async () => (await import('./commands/validate.js')).validateCommand(io)));

  program
    .command('list')
    .description('List every check keyprobe implements.')
    .option('--json', 'as JSON')
    .addHelpText('after', '\nExample:\n  $ keyprobe list\n')
    .action(run(async () => (await import('./commands/list.js')).listCommand(io)));

  program
    .command('demo')
    .description('Start the built-in reference target on loopback and run the prelaunch suite against it.')
    .option('-f, --fault <name[=value]...>', 'switch on a fault in the reference target (repeatable)', collect)
    .option('-s, --suite <name|file>', 'suite name (bundled) or file', 'prelaunch')
    .option('-o, --out <dir>', 'report directory (default: reports/<run-id>)')
    .option('--only <check-id...>', 'run only these checks', collect)
    .option('--skip <check-id...>', 'leave out these checks', collect)
    .option('--operator <name>', 'who ran this, for the report')
    .option('-q, --quiet', 'print only failures and the summary')
    .option('-v, --verbose', 'print progress and advisories')
    .addHelpText('after', '\nExamples:\n  $ keyprobe demo\n  $ keyprobe demo --fault revocation-delay=2000\n')
    .action(run(async () => (await import('./commands/demo.js')).demoCommand(io)));

  program
    .command('reference')
    .description('Serve the reference target (an agent platform API with API keys) until stopped.')
    .option('-p, --port <n>', 'port on 127.0.0.1 (0: any free port)', (v) => Number(v), 0)
    .addOption(new Option('-e, --environment <env>', 'the environment it serves').default('prod'))
    .option('-f, --fault <name[=value]...>', 'switch on a fault (repeatable)', collect)
    .option('--seed', 'also create the demo keys (as `keyprobe demo` does)')
    .option('--env-file <file>', 'where to write the admin token (and demo keys) as shell assignments, mode 0600', '.keyprobe-reference.env')
    .addHelpText('after', '\nExample:\n  $ keyprobe reference --port 8787 --fault no-rate-limit\n')
    .action(run(async () => (await import('./commands/reference.js')).referenceCommand(io)));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.pass;
      // Commander has already printed its message.
      return EXIT.usage;
    }
    return exitCodeFor(err, io);
  }
}
