// `keyprobe init`: scaffolds a profile, asking for what the flags did not
// give (or from flags alone, for scripts). The name follows the convention by
// construction; generic parts are refused; the key goes in only as ${env:NAME}.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkProfileFile } from '../../config/load-profile.js';
import { profileSchema } from '../../config/profile-schema.js';
import { closest } from '../../config/zod-problems.js';
import { ConfigError, EXIT, UsageError } from '../../errors.js';
import {
  availableScopes,
  proposeResources,
  readOpenApi,
  scopeUsage,
  serverOrigin,
  type OpenApiDocument,
  type ProposedResource,
} from '../../init/openapi.js';
import { lineAsker, type Asker } from '../../init/prompt.js';
import { renderProfile } from '../../init/scaffold.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { GENERIC_NAME_WORDS, KNOWN_ENVIRONMENTS, keyNameProblems } from '../../rules/naming.js';
import type { CliIo } from '../io.js';

export interface InitOptions {
  readonly system?: string;
  readonly environment?: string;
  readonly purpose?: string;
  readonly owner?: string;
  readonly origin?: string;
  readonly keyEnv?: string;
  readonly expires?: string;
  readonly allow?: string[];
  readonly deny?: string[];
  readonly fromOpenapi?: string;
  readonly scopes?: string[];
  readonly out?: string;
  readonly force?: boolean;
}

type Check = (answer: string) => string | undefined;

const ENV_REFERENCE = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

const checks = {
  system: (v: string) => partProblem('system', v, 'crm'),
  environment: (v: string) =>
    KNOWN_ENVIRONMENTS.includes(v)
      ? undefined
      : `"${v}" is not an environment the naming rule knows; use one of ${KNOWN_ENVIRONMENTS.join(', ')}`,
  purpose: (v: string) => partProblem('purpose', v, 'agent-call'),
  owner: (v: string) => (v.trim() === '' ? 'owner is empty: name the team or person who answers for this key' : undefined),
  origin: (v: string) => originProblem(v),
  keyEnv: (v: string) =>
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : `"${v}" is not an environment variable name (letters, digits, _)`,
  expires: (v: string) =>
    v === '' || ENV_REFERENCE.test(v) || !Number.isNaN(Date.parse(v))
      ? undefined
      : `"${v}" is not a date like 2027-03-31 or an \${env:NAME} reference`,
} satisfies Record<string, Check>;

export function initCommand(io: CliIo) {
  return async (opts: InitOptions): Promise<number> => {
    const api = opts.fromOpenapi ? readOpenApi(resolve(io.cwd, opts.fromOpenapi)) : undefined;
    const scopes = api ? availableScopes(api) : [];
    const flagProblems = validateFlags(opts, scopes);
    if (flagProblems.length > 0) throw new UsageError(flagProblems.join('\n  '));

    const missing = missingFlags(opts, api);
    let asker: Asker | undefined;
    if (missing.length > 0) {
      if (!io.stdin) throw new UsageError(`no terminal to ask on; pass ${missing.join(', ')}`);
      asker = lineAsker(io.stdin, io.stdout);
      io.stdout.write('A new keyprobe profile. The key will be named <system>-<environment>-<purpose>.\n');
    }
    try {
      const given = <T>(value: T | undefined, question: string, check: Check, defaultValue?: string): Promise<string> =>
        value !== undefined
          ? Promise.resolve(String(value))
          : asker
            ? asker.ask(question, { defaultValue, check })
            : Promise.resolve(defaultValue ?? '');
      const system = await given(opts.system, 'System that calls with the key (e.g. crm)', checks.system);
      const environment = await given(opts.environment, 'Environment (e.g. prod, staging, test)', checks.environment);
      const purpose = await given(opts.purpose, 'Purpose (e.g. agent-call)', checks.purpose);
      const owner = await given(opts.owner, 'Owner (team or person answerable for the key)', checks.owner);
      const origin = await given(
        opts.origin,
        'Target origin (https://api.example.com or ${env:NAME})',
        checks.origin,
        api ? serverOrigin(api) : undefined,
      );
      const keyEnv = await given(
        opts.keyEnv,
        'Environment variable that will hold the key',
        checks.keyEnv,
        defaultKeyEnv(system, environment, purpose),
      );

      let allowed: ProposedResource[];
      let denied: ProposedResource[];
      let granted: string[] | undefined;
      if (api) {
        granted = opts.scopes ?? (await askScopes(asker!, io, api, scopes));
        const proposal = proposeResources(api, granted);
        if (proposal.allowed.length === 0)
          throw new UsageError(
            `no operation in ${opts.fromOpenapi} can be called with ${granted.join(', ')}; a profile needs at least one allowed resource`,
          );
        ({ allowed, denied } = proposal);
        if (proposal.publicOperations.length > 0)
          io.stdout.write(
            `Left out ${proposal.publicOperations.length} public operation(s) (no security): ${proposal.publicOperations.join(', ')}\n`,
          );
      } else {
        const allowList =
          opts.allow ??
          splitList(
            await asker!.ask('Requests the key must be allowed to make, comma-separated (e.g. GET /v1/agents)', {
              check: requestListProblem(true),
            }),
          );
        const denyList =
          opts.deny ??
          (opts.allow
            ? []
            : splitList(
                await asker!.ask('Requests it must be refused, comma-separated (may be empty)', { check: requestListProblem(false) }),
              ));
        allowed = allowList.map(parseRequest);
        denied = denyList.map(parseRequest);
      }

      // The same rule the naming check applies: what init writes passes it.
      const name = `${system}-${environment}-${purpose}`;
      const naming = keyNameProblems(name, { system, environment, purpose });
      if (naming.length > 0) throw new UsageError(`key name ${name}: ${naming.join('; ')}`);

      const out = resolve(io.cwd, opts.out ?? join('profiles', `${name}.yaml`));
      if (existsSync(out) && !opts.force)
        throw new UsageError(`${out} already exists; choose another --out or pass --force to overwrite it`);
      const text = renderProfile({
        system,
        environment,
        purpose,
        owner,
        origin,
        keyEnv,
        expires: opts.expires,
        scopes: granted,
        allowed,
        denied,
        source: api ? `${opts.fromOpenapi} (${api.title})` : undefined,
        schemaPath: relative(dirname(out), join(PACKAGE_ROOT, 'schemas', 'profile.schema.json'))
          .split(sep)
          .join('/'),
      });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text, 'utf8');
      // What init writes must load; a problem here is a bug in init, shown like any profile problem.
      const { problems } = checkProfileFile(out);
      if (problems.length > 0) throw new ConfigError(problems);

      const shown = relative(io.cwd, out) || out;
      io.stdout.write(`Wrote ${shown}: key ${name}, ${allowed.length} allowed and ${denied.length} denied resource(s).\n`);
      io.stdout.write(
        `Next: review it, then\n  export ${keyEnv}=…   # the key, from your secret store\n  keyprobe validate ${shown}   # also lists what the prelaunch suite still needs (a rateLimit, a key to disable)\n  keyprobe run ${shown}\n`,
      );
      return EXIT.pass;
    } finally {
      asker?.close();
    }
  };
}

/** Flags that were given are checked up front, all at once: a script gets every problem in one go. */
function validateFlags(opts: InitOptions, scopes: readonly string[]): string[] {
  const problems: string[] = [];
  for (const field of ['system', 'environment', 'purpose', 'owner', 'origin', 'keyEnv', 'expires'] as const) {
    const value = opts[field];
    const problem = value === undefined ? undefined : checks[field](value);
    if (problem) problems.push(`--${field === 'keyEnv' ? 'key-env' : field}: ${problem}`);
  }
  for (const [flag, list] of [
    ['--allow', opts.allow],
    ['--deny', opts.deny],
  ] as const) {
    for (const r of list ?? []) {
      const problem = requestProblem(r);
      if (problem) problems.push(`${flag}: ${problem}`);
    }
  }
  if (opts.fromOpenapi && (opts.allow || opts.deny))
    problems.push('--allow/--deny and --from-openapi do not mix: the OpenAPI document proposes the resources');
  if (opts.scopes && !opts.fromOpenapi) problems.push('--scopes needs --from-openapi (it chooses which operations are allowed)');
  for (const s of opts.scopes ?? []) {
    if (!scopes.includes(s)) {
      const guess = closest(s, scopes);
      problems.push(
        `--scopes: "${s}" is not a scope of the OpenAPI document${guess ? `; did you mean "${guess}"?` : ''}; it has: ${scopes.join(', ')}`,
      );
    }
  }
  if (opts.scopes && opts.scopes.length === 0) problems.push('--scopes: name at least one scope');
  return problems;
}

function missingFlags(opts: InitOptions, api: OpenApiDocument | undefined): string[] {
  const missing: string[] = [];
  for (const field of ['system', 'environment', 'purpose', 'owner'] as const) if (opts[field] === undefined) missing.push(`--${field}`);
  if (opts.origin === undefined && !(api && serverOrigin(api))) missing.push('--origin');
  if (api ? !opts.scopes : !opts.allow) missing.push(api ? '--scopes' : '--allow');
  return missing;
}

async function askScopes(asker: Asker, io: CliIo, api: OpenApiDocument, scopes: readonly string[]): Promise<string[]> {
  const usage = scopeUsage(api);
  io.stdout.write(`Scopes in ${api.title}:\n${scopes.map((s) => `  ${s} (${usage.get(s) ?? 0} operation(s))`).join('\n')}\n`);
  const answer = await asker.ask('Scopes granted to this key, comma-separated', {
    check: (v) => {
      const chosen = splitList(v);
      if (chosen.length === 0) return 'name at least one scope';
      const unknown = chosen.filter((s) => !scopes.includes(s));
      return unknown.length > 0 ? `not in the document: ${unknown.join(', ')}` : undefined;
    },
  });
  return splitList(answer);
}

const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** A part of the key name: lowercase words joined by hyphens, not made only of generic words, no environment word inside. */
function partProblem(field: 'system' | 'purpose', v: string, example: string): string | undefined {
  if (!KEBAB.test(v)) return `${field} "${v}" must be lowercase letters and digits, words joined by "-" (e.g. ${example})`;
  const words = v.split('-');
  if (words.every((w) => GENERIC_NAME_WORDS.includes(w)) || GENERIC_NAME_WORDS.includes(v)) {
    return `${field} "${v}" is generic; name the ${field === 'system' ? 'system that calls with the key (e.g. crm, billing)' : 'job the key does (e.g. agent-call, nightly-sync)'}`;
  }
  if (field === 'system' && words.some((w) => KNOWN_ENVIRONMENTS.includes(w)))
    return `system "${v}" contains an environment word; the name could not be split back into its parts`;
  return undefined;
}

const allowedResource = profileSchema.shape.allowed.element;
const originField = profileSchema.shape.target.shape.origin;

function originProblem(v: string): string | undefined {
  if (ENV_REFERENCE.test(v)) return undefined;
  const parsed = originField.safeParse(v);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

function requestProblem(r: string): string | undefined {
  const parsed = allowedResource.safeParse(r);
  if (parsed.success) return undefined;
  // A string fails the union's first branch (the "METHOD /path" shorthand); that branch says why.
  const issue = parsed.error.issues[0];
  const reason = issue?.code === 'invalid_union' ? issue.errors[0]?.[0]?.message : issue?.message;
  return `"${r}": ${reason ?? 'expected "METHOD /path", e.g. "GET /v1/agents"'}`;
}

function requestListProblem(required: boolean): Check {
  return (v) => {
    const list = splitList(v);
    if (required && list.length === 0) return 'name at least one request, e.g. GET /v1/agents';
    return list.map(requestProblem).find(Boolean);
  };
}

function parseRequest(r: string): ProposedResource {
  const { method, path } = allowedResource.parse(r) as { method: string; path: string };
  return { method, path, unresolvedParams: [] };
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function defaultKeyEnv(system: string, environment: string, purpose: string): string {
  return `${system}_${environment}_${purpose}_KEY`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}
