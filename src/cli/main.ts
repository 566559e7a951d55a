// The command line. Each command lives in its own module and is loaded only
// when used, so `--help` and `--version` stay fast. Commands return an exit
// code; only the bin sets process.exitCode.
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UsageError } from '../errors.js';
import { TOOL } from '../version.js';
import { exitCodeFor } from './exit.js';
import type { CliIo } from './io.js';

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const repeat = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number of at least 1, got "${value}"`);
  return n;
};

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.pass;
  const program = new Command('keyprobe');
  program
    .description(
      'Pre-launch conformance harness for API keys: proves a key reaches what it should, is refused everywhere else, dies when disabled and is throttled when it calls too often.',
    )
    .version(TOOL.version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  const run =
    (loader: () => Promise<(...args: never[]) => Promise<number>>) =>
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
    .option(
      '--threads <n>',
      "worker threads a big run's checks run on (default 1: this thread only; more pays where cores are spare and the target is elsewhere)",
      positiveInt('--threads'),
    )
    .option('--budget <n>', "override every profile's request budget", positiveInt('--budget'))
    .option('--ca <file>', 'trust this CA certificate (PEM) for the target')
    .option('--secrets-dir <dir>', "a folder ${file:…} and target.ca may read besides the profile's own (repeatable)", repeat)
    .option(
      '--allow-origin <origin>',
      'send only to these origins; refuse a profile naming another (repeatable; also KEYPROBE_ALLOWED_ORIGINS)',
      collect,
    )
    .option('--operator <name>', 'who ran this, for the report (default: the OS user)')
    .option('--pdf', 'also write report.pdf through a local Chromium (/usr/bin/chromium, or KEYPROBE_CHROMIUM)')
    .option(
      '--reporter <names>',
      'reporters to use, repeatable or comma-separated: console, json, junit, html, markdown, pdf (default: console,json,junit,html; markdown also writes $GITHUB_STEP_SUMMARY)',
      collect,
    )
    .option('--baseline <results.json>', 'an earlier run: mark each failure new or persisting, and list what was resolved')
    .option('--waivers <file>', 'accepted check failures (YAML): check, optional key, owner, reason, expires')
    .option('--fail-on <new|any>', 'what gates: every failure not waived (any, default) or only failures the baseline did not have (new)')
    .option('-i, --interactive', 'allow manual lifecycle steps (asks a person to act)')
    .option(
      '--allow-commands',
      'allow the command lifecycle adapter to run the shell commands a profile names (or set KEYPROBE_ALLOW_COMMANDS=1)',
    )
    .option('-q, --quiet', 'print only failures and the summary')
    .option('-v, --verbose', 'print progress and advisories')
    .addHelpText('after', '\nExample:\n  $ keyprobe run profiles/crm-prod-agent-call.yaml --suite prelaunch --out reports/crm\n')
    .action(run(async () => (await import('./commands/run.js')).runCommand(io)));

  program
    .command('validate')
    .description('Check profiles and suites for problems without sending a request.')
    .argument('<file...>', 'profile or suite files (a file with a top-level "checks" list is a suite)')
    .option(
      '--resolve',
      "use the values of ${env:…} and ${file:…} references and make one that cannot be resolved an error (exit 2); without it each is still checked and listed by name, but the exit code is the files'",
    )
    .option('--secrets-dir <dir>', "a folder ${file:…} and target.ca may read besides the profile's own (repeatable)", repeat)
    .option(
      '--allow-origin <origin>',
      'send only to these origins; refuse a profile naming another (repeatable; also KEYPROBE_ALLOWED_ORIGINS)',
      collect,
    )
    .option(
      '-s, --suite <name|file>',
      'check each profile against this suite: what will run, skip, and every requirement of a required check it cannot meet (exit 3) (default: a suite file given alongside, else prelaunch)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 valid and every required check can run · 2 a problem in a file · 3 valid, but a required check of the suite cannot run\n\nExample:\n  $ keyprobe validate profiles/crm-prod-agent-call.yaml --suite prelaunch\n',
    )
    .action(run(async () => (await import('./commands/validate.js')).validateCommand(io)));

  program
    .command('list')
    .description('List every check keyprobe implements; with --verbose or a check id, its practice, params and why it would skip.')
    .argument('[check-id]', 'show this check only, in full')
    .option('--json', 'as JSON')
    .option('-v, --verbose', "each check's practice, params (type, default, description) and what it needs from the profile")
    .addHelpText('after', '\nExamples:\n  $ keyprobe list\n  $ keyprobe list --verbose\n  $ keyprobe list rate.limit-triggered\n')
    .action(run(async () => (await import('./commands/list.js')).listCommand(io)));

  program
    .command('demo')
    .description('Start the built-in reference target on loopback and run the prelaunch suite against it.')
    .option('-f, --fault <name[=value]...>', 'switch on a fault in the reference target (repeatable)', collect)
    .option(
      '-b, --behaviour <name[=value]...>',
      'switch on a platform behaviour (not a defect; the demo profile declares it) (repeatable)',
      collect,
    )
    .option('-s, --suite <name|file>', 'suite name (bundled) or file', 'prelaunch')
    .option('-o, --out <dir>', 'report directory (default: reports/<run-id>)')
    .option('--only <check-id...>', 'run only these checks', collect)
    .option('--skip <check-id...>', 'leave out these checks', collect)
    .option('--operator <name>', 'who ran this, for the report')
    .option('--allow-origin <origin>', 'as for run (the reference target it starts is always allowed)', collect)
    .option('--pdf', 'also write report.pdf through a local Chromium (/usr/bin/chromium, or KEYPROBE_CHROMIUM)')
    .option(
      '--reporter <names>',
      'reporters to use, repeatable or comma-separated: console, json, junit, html, markdown, pdf (default: console,json,junit,html; markdown also writes $GITHUB_STEP_SUMMARY)',
      collect,
    )
    .option(
      '--allow-commands',
      'allow the command lifecycle adapter to run the shell commands a profile names (or set KEYPROBE_ALLOW_COMMANDS=1)',
    )
    .option('-q, --quiet', 'print only failures and the summary')
    .option('-v, --verbose', 'print progress and advisories')
    .addHelpText(
      'after',
      '\nExamples:\n  $ keyprobe demo\n  $ keyprobe demo --fault revocation-delay=2000\n  $ keyprobe demo --behaviour client-rate-limit=20 --behaviour slow-success\n',
    )
    .action(run(async () => (await import('./commands/demo.js')).demoCommand(io)));

  program
    .command('report')
    .description(
      'Render junit.xml and report.html (and report.pdf) again from a results.json, with a fresh manifest.sha256; the verdict and exit code are recomputed from its checks.',
    )
    .argument('<results.json>', 'a results.json written by keyprobe (or the report directory holding it)')
    .option('-o, --out <dir>', 'where to write (default: the directory of results.json)')
    .option('--pdf', 'also write report.pdf through a local Chromium (/usr/bin/chromium, or KEYPROBE_CHROMIUM)')
    .option(
      '--reporter <names>',
      'reporters to use, repeatable or comma-separated: console, junit, html, markdown, pdf (default: console,junit,html; results.json is published as read)',
      collect,
    )
    .option('-q, --quiet', 'print only the summary')
    .addHelpText('after', '\nExample:\n  $ keyprobe report reports/latest/results.json --pdf\n')
    .action(run(async () => (await import('./commands/report.js')).reportCommand(io)));

  program
    .command('reference')
    .description('Serve the reference target (an agent platform API with API keys) until stopped.')
    .option('-p, --port <n>', 'port on 127.0.0.1 (0: any free port)', (v) => Number(v), 0)
    .addOption(new Option('-e, --environment <env>', 'the environment it serves').default('prod'))
    .option('-f, --fault <name[=value]...>', 'switch on a fault (repeatable)', collect)
    .option('-b, --behaviour <name[=value]...>', 'switch on a platform behaviour, e.g. client-rate-limit=20 (repeatable)', collect)
    .option('--seed', 'also create the demo keys (as `keyprobe demo` does)')
    .option(
      '--write-env <file>',
      'where to write the admin token (and demo keys) as KEYPROBE_DEMO_* shell assignments, mode 0600',
      '.keyprobe-reference.env',
    )
    .addOption(new Option('--env-file <file>', 'renamed --write-env (Node.js 20 takes --env-file itself)').hideHelp())
    .addHelpText('after', '\nExample:\n  $ keyprobe reference --port 8787 --fault no-rate-limit\n')
    .action(run(async () => (await import('./commands/reference.js')).referenceCommand(io)));

  program
    .command('init')
    .description('Scaffold a profile: asks for what the flags do not give; --from-openapi proposes allowed and denied resources.')
    .option('--system <name>', 'system that calls with the key, e.g. crm')
    .option('--environment <env>', 'environment, e.g. prod')
    .option('--purpose <purpose>', 'what the key is for, e.g. agent-call')
    .option('--owner <owner>', 'team or person answerable for the key')
    .option('--origin <origin>', 'target origin, e.g. https://api.example.com, or ${env:NAME}')
    .option('--key-env <NAME>', 'environment variable that will hold the key (default <SYSTEM>_<ENV>_<PURPOSE>_KEY)')
    .option('--expires <date>', 'when the key expires, e.g. 2027-03-31')
    .option(
      '--allow <request>',
      'a request the key must reach, e.g. "GET /v1/agents"; with --from-openapi a pattern of its operations, e.g. "GET /items/agents*" (repeatable)',
      repeat,
    )
    .option('--deny <request>', 'a request (or with --from-openapi, a pattern) it must be refused (repeatable)', repeat)
    .option('--from-openapi <file>', 'propose allowed/denied resources and the key placement from an OpenAPI 3 document (JSON or YAML)')
    .option('--scopes <scope...>', 'with --from-openapi: the scopes the key is granted (repeat or comma-separate)', collect)
    .option('--auth-header <name>', 'the key travels in this header (default Authorization)')
    .option(
      '--auth-scheme <scheme>',
      'before the key in the header: default Bearer for Authorization, none for other headers; "" for a bare key',
    )
    .option('--auth-query <name>', 'the key travels in the URL query as ?<name>= (not recommended: URLs land in logs)')
    .option('--rate-limit <n/window>', 'the limit the key must meet, e.g. 20/1s, 100/min')
    .option('--rate-probe <request>', 'the call the rate checks burst (default: the first allowed GET)')
    .option('--lifecycle <kind>', 'write a lifecycle adapter skeleton: http, command or manual')
    .option('--canary-env <NAME>', 'variable holding a spare canary key with the same scopes')
    .option('--second-key-env <NAME>', 'variable holding a second key, of another system')
    .option('--expired-key-env <NAME>', 'variable holding a key that has already expired')
    .option(
      '--other-env <env=NAME>',
      'a key of another environment this target must refuse, e.g. staging=CRM_STAGING_KEY (repeatable)',
      repeat,
    )
    .option('-o, --out <file>', 'where to write the profile (default profiles/<name>.yaml)')
    .option('--force', 'overwrite --out if it exists')
    .addHelpText(
      'after',
      '\nEvery optional section (rate limit, lifecycle, canary, second key, other environments, …) is written,\ncommented out unless chosen, with the checks it turns on.\n\nExamples:\n  $ keyprobe init\n  $ keyprobe init --system crm --environment prod --purpose agent-call --owner crm-team@example.com \\\n      --origin https://api.example.com --allow "GET /v1/agents" --deny "POST /v1/agents" \\\n      --auth-header X-API-Key --rate-limit 20/1s --lifecycle command\n  $ keyprobe init --from-openapi openapi.yaml --scopes agents:read,agents:call\n  $ keyprobe init --from-openapi directus.json --allow "GET /items/agents*"\n',
    )
    .action(run(async () => (await import('./commands/init.js')).initCommand(io)));

  program
    .command('merge')
    .description('Combine the results.json of several runs (CI shards) into one set of reports, with the verdict recomputed.')
    .argument('<results...>', 'results.json files (or report directories holding one)')
    .option('-o, --out <dir>', 'report directory (default: reports/<run-id>)')
    .option('-q, --quiet', 'print nothing but problems')
    .option(
      '--reporter <names>',
      'reporters to use, repeatable or comma-separated: console, json, junit, html, markdown, pdf (default: console,json,junit,html)',
      collect,
    )
    .addHelpText('after', '\nExample:\n  $ keyprobe merge shards/*/results.json --out reports/all\n')
    .action(run(async () => (await import('./commands/merge.js')).mergeCommand(io)));

  program
    .command('diff')
    .description(
      'What changed between two runs (results.json) or two audits (findings.json): verdicts, new and resolved findings, keys added and removed, measurements beyond a threshold. Writes diff.md and diff.json.',
    )
    .argument('<old>', 'the earlier results.json or findings.json (or its report directory)')
    .argument('<new>', 'the later one, of the same kind')
    .option('-o, --out <dir>', 'where to write diff.md and diff.json (default: reports/diff-<new run id>)')
    .option('--threshold <percent>', 'report a measurement when it moved by more than this (default 20)')
    .option('-q, --quiet', 'print only where the diff was written')
    .addHelpText('after', '\nExample:\n  $ keyprobe diff reports/nightly-mon reports/nightly-tue --out reports/drift\n')
    .action(run(async () => (await import('./commands/diff.js')).diffCommand(io)));

  program
    .command('schema')
    .description('Print the JSON Schema of a file keyprobe reads, for editors and other validators.')
    .argument('<kind>', 'profile, suite, audit-policy, audit-mapping, waivers or results')
    .addHelpText('after', '\nExample:\n  $ keyprobe schema profile > profile.schema.json\n')
    .action(run(async () => (await import('./commands/schema.js')).schemaCommand(io)));

  program
    .command('audit')
    .description(
      'Review a whole key inventory (owners, staleness, privilege, test keys in production, naming, expiry, rotation, revoked keys in use) and write the reports.',
    )
    .argument('[inventory]', 'an inventory export: .yaml, .yml, .json or .csv')
    .option('--inventory-url <url>', 'read the inventory from a management API instead (e.g. https://api.example.com/admin/keys)')
    .option(
      '--mapping <file>',
      "how the export or API names things: fields (paths, constants, value maps, date formats), and for an API its credential (${env:…} only), headers and pagination (default for --inventory-url: the reference target's GET /admin/keys)",
    )
    .option('--preset <name>', 'a ready mapping shipped with keyprobe (see --list-presets), e.g. github-fine-grained-pats')
    .option('--list-presets', 'list the ready mappings and where they are, then exit')
    .option('--demo', 'start the reference target with a seeded inventory and audit it through its GET /admin/keys')
    .option('-p, --policy <file>', 'audit policy (YAML): thresholds, severities, gating per rule (default: built-in)')
    .option(
      '--baseline <findings.json>',
      'an earlier audit (its findings.json or report directory): mark each finding new, persisting or resolved',
    )
    .option(
      '--waivers <file>',
      'accepted findings (YAML): rule, optional key, owner, reason, expires; a waived finding does not gate until it expires',
    )
    .option('--fail-on <new|any>', 'what gates: every finding not waived (any, default) or only findings the baseline did not have (new)')
    .option('--as-of <date>', 'judge the inventory as of this date or ISO time (default: now)')
    .option('-o, --out <dir>', 'report directory (default: reports/audit-<run-id>)')
    .option(
      '--reporter <names>',
      'reporters to use, repeatable or comma-separated: console, json, junit, html, findings (default: all of them; findings.json is the baseline of the next audit)',
      collect,
    )
    .option('--ca <file>', 'with --inventory-url: trust this CA certificate (PEM)')
    .option('--operator <name>', 'who ran this, for the report (default: the OS user)')
    .option('-q, --quiet', 'print only broken rules and problems')
    .option('-v, --verbose', 'also list the offending keys of each rule')
    .addHelpText(
      'after',
      '\nExamples:\n  $ keyprobe audit keys.csv --policy audit-policy.yaml --mapping keys-mapping.yaml\n  $ KEYPROBE_ADMIN_TOKEN=… keyprobe audit --inventory-url http://127.0.0.1:8787/admin/keys\n  $ GITHUB_TOKEN=… keyprobe audit --preset github-fine-grained-pats --inventory-url https://api.github.com/orgs/acme/personal-access-tokens\n  $ keyprobe audit keys.json --baseline reports/audit-last/findings.json --waivers waivers.yaml --fail-on new\n  $ keyprobe audit --demo\n',
    )
    .action(run(async () => (await import('./commands/audit.js')).auditCommand(io)));

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
