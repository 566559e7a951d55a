// `keyprobe init`: scaffolds a whole profile, asking for what the flags did
// not give (or from flags alone, for scripts). The name follows the
// convention by construction; generic parts are refused; keys go in only as
// ${env:NAME}. Every optional section is written, commented out unless
// chosen, with the checks it turns on.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkProfileFile } from '../../config/load-profile.js';
import { profileSchema } from '../../config/profile-schema.js';
import { closest } from '../../config/zod-problems.js';
import { ConfigError, EXIT, UsageError } from '../../errors.js';
import {
  authFromAnswer,
  authFromFlags,
  authToAnswer,
  envNameProblem,
  parseLifecycle,
  parseOtherEnvironment,
  parseRateLimit,
  type Parsed,
} from '../../init/answers.js';
import { type AuthPlacement, DEFAULT_AUTH, proposeAuth } from '../../init/auth-placement.js';
import { availableScopes, readOpenApi, serverOrigin, type OpenApiDocument, type ProposedResource } from '../../init/openapi.js';
import { lineAsker, type Asker } from '../../init/prompt.js';
import { type LifecycleKind, type OtherEnvironmentKey, type RateLimitAnswer, renderProfile } from '../../init/scaffold.js';
import { fromOpenApi } from '../../init/from-openapi.js';
import { patternProblem } from '../../init/select.js';
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
  readonly authHeader?: string;
  readonly authScheme?: string;
  readonly authQuery?: string;
  readonly rateLimit?: string;
  readonly rateProbe?: string;
  readonly lifecycle?: string;
  readonly canaryEnv?: string;
  readonly secondKeyEnv?: string;
  readonly expiredKeyEnv?: string;
  readonly otherEnv?: string[];
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
  keyEnv: envNameProblem,
  expires: (v: string) =>
    v === '' || ENV_REFERENCE.test(v) || !Number.isNaN(Date.parse(v))
      ? undefined
      : `"${v}" is not a date like 2027-03-31 or an \${env:NAME} reference`,
} satisfies Record<string, Check>;

/** A parser as an Asker check: an empty answer means "none". */
const optional =
  <T>(parse: (v: string) => Parsed<T>): Check =>
  (v) => {
    if (v === '') return undefined;
    const p = parse(v);
    return p.ok ? undefined : p.problem;
  };
const parsedValue = <T>(p: Parsed<T>): T => {
  if (!p.ok) throw new UsageError(p.problem);
  return p.value;
};

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

      const notes: string[] = [];
      const proposedAuth = api ? proposeAuth(api) : undefined;
      if (proposedAuth) notes.push(...proposedAuth.notes);
      const flagAuth = parsedValue(authFromFlags(opts.authHeader, opts.authScheme, opts.authQuery));
      let auth: AuthPlacement = flagAuth ?? proposedAuth?.auth ?? DEFAULT_AUTH;
      if (!flagAuth && asker)
        auth = parsedValue(
          authFromAnswer(
            await asker.ask('How the key is sent: "header NAME [SCHEME]" or "query NAME"', {
              defaultValue: authToAnswer(auth),
              check: optional(authFromAnswer),
            }),
          ),
        );
      const authSource = flagAuth
        ? undefined
        : proposedAuth?.from && authToAnswer(auth) === authToAnswer(proposedAuth.auth)
          ? `the document's security scheme ${proposedAuth.from}`
          : undefined;

      let allowed: ProposedResource[];
      let denied: ProposedResource[];
      let granted: string[] | undefined;
      if (api) {
        ({ allowed, denied, granted } = await fromOpenApi(
          api,
          { scopes: opts.scopes, allow: opts.allow, deny: opts.deny, file: opts.fromOpenapi! },
          asker,
          io.stdout,
          notes,
        ));
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

      const optionalAnswer = async (flag: string | undefined, question: string, check: Check): Promise<string | undefined> => {
        if (flag !== undefined) return flag;
        if (!asker) return undefined;
        const answer = await asker.ask(`${question} (empty: none)`, { check });
        return answer === '' ? undefined : answer;
      };
      const rateText = await optionalAnswer(opts.rateLimit, 'Rate limit of the key, e.g. 20/1s or 100/min', optional(parseRateLimit));
      const rate = rateText === undefined ? undefined : parsedValue(parseRateLimit(rateText));
      const rateLimit: RateLimitAnswer | undefined = rate && { ...rate, probe: opts.rateProbe ?? defaultProbe(allowed) };
      const lifecycleText = await optionalAnswer(opts.lifecycle, 'Lifecycle adapter: http, command or manual', optional(parseLifecycle));
      const lifecycle: LifecycleKind | undefined = lifecycleText === undefined ? undefined : parsedValue(parseLifecycle(lifecycleText));
      const canaryEnv = await optionalAnswer(
        opts.canaryEnv,
        'Variable holding a spare canary key with the same scopes',
        optional((v) => toParsed(envNameProblem(v), v)),
      );
      const secondKeyEnv = await optionalAnswer(
        opts.secondKeyEnv,
        'Variable holding a second key, of another system',
        optional((v) => toParsed(envNameProblem(v), v)),
      );
      const otherText = opts.otherEnv
        ? opts.otherEnv.join(',')
        : await optionalAnswer(undefined, 'Keys of other environments as ENVIRONMENT=VARIABLE, comma-separated', (v) =>
            splitList(v)
              .map((o) => parseOtherEnvironment(o, environment))
              .map((p) => (p.ok ? undefined : p.problem))
              .find(Boolean),
          );
      const otherEnvironments: OtherEnvironmentKey[] = splitList(otherText ?? '').map((o) =>
        parsedValue(parseOtherEnvironment(o, environment)),
      );

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
        auth,
        authSource,
        allowed,
        denied,
        rateLimit,
        lifecycle,
        canaryEnv,
        secondKeyEnv,
        expiredKeyEnv: opts.expiredKeyEnv,
        otherEnvironments,
        notes,
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
      for (const note of notes) io.stdout.write(`Note: ${note}\n`);
      io.stdout.write(`Wrote ${shown}: key ${name}, ${allowed.length} allowed and ${denied.length} denied resource(s).\n`);
      const commented = [
        ...(rateLimit ? [] : ['rateLimit']),
        ...(otherEnvironments.length > 0 ? [] : ['otherEnvironments']),
        ...(canaryEnv ? [] : ['canary']),
        ...(secondKeyEnv ? [] : ['secondKey']),
        ...(opts.expiredKeyEnv ? [] : ['expiredKey']),
        ...(lifecycle ? [] : ['lifecycle']),
      ];
      if (commented.length > 0) io.stdout.write(`Commented out, each turning on more checks once filled in: ${commented.join(', ')}.\n`);
      const variables = [keyEnv, ...[canaryEnv, secondKeyEnv, opts.expiredKeyEnv].filter((v): v is string => !!v)];
      variables.push(...otherEnvironments.map((o) => o.keyEnv));
      io.stdout.write(
        `Next: review it, then\n${variables.map((v) => `  export ${v}=…   # from your secret store`).join('\n')}\n  keyprobe validate ${shown}   # also lists what the prelaunch suite still needs (a rateLimit, a key to disable)\n  keyprobe run ${shown}${lifecycle === 'command' ? ' --allow-commands' : lifecycle === 'manual' ? ' --interactive' : ''}\n`,
      );
      return EXIT.pass;
    } finally {
      asker?.close();
    }
  };
}

const toParsed = (problemText: string | undefined, value: string): Parsed<string> =>
  problemText ? { ok: false, problem: problemText } : { ok: true, value };

/** Flags that were given are checked up front, all at once: a script gets every problem in one go. */
function validateFlags(opts: InitOptions, scopes: readonly string[]): string[] {
  const problems: string[] = [];
  for (const field of ['system', 'environment', 'purpose', 'owner', 'origin', 'keyEnv', 'expires'] as const) {
    const value = opts[field];
    const problem = value === undefined ? undefined : checks[field](value);
    if (problem) problems.push(`--${field === 'keyEnv' ? 'key-env' : field}: ${problem}`);
  }
  // With a document, --allow and --deny choose its operations by pattern; without, they are the requests themselves.
  const requestCheck = opts.fromOpenapi ? patternProblem : requestProblem;
  for (const [flag, list] of [
    ['--allow', opts.allow],
    ['--deny', opts.deny],
  ] as const) {
    for (const r of list ?? []) {
      const problem = requestCheck(r);
      if (problem) problems.push(`${flag}: ${problem}`);
    }
  }
  if (opts.scopes && !opts.fromOpenapi) problems.push('--scopes needs --from-openapi (it chooses which operations are allowed)');
  for (const s of opts.scopes ?? []) {
    if (!scopes.includes(s)) {
      const guess = closest(s, scopes);
      problems.push(
        `--scopes: "${s}" is not a scope of the OpenAPI document${guess ? `; did you mean "${guess}"?` : ''}; ${scopes.length > 0 ? `it has: ${scopes.join(', ')}` : 'it names no scopes: choose operations with --allow "METHOD /path*" instead'}`,
      );
    }
  }
  if (opts.scopes && opts.scopes.length === 0) problems.push('--scopes: name at least one scope');
  const auth = authFromFlags(opts.authHeader, opts.authScheme, opts.authQuery);
  if (!auth.ok) problems.push(auth.problem);
  if (opts.rateLimit !== undefined) {
    const p = parseRateLimit(opts.rateLimit);
    if (!p.ok) problems.push(`--rate-limit: ${p.problem}`);
  }
  if (opts.rateProbe !== undefined) {
    const problem = requestProblem(opts.rateProbe);
    if (problem) problems.push(`--rate-probe: ${problem}`);
    if (opts.rateLimit === undefined) problems.push('--rate-probe needs --rate-limit');
  }
  if (opts.lifecycle !== undefined) {
    const p = parseLifecycle(opts.lifecycle);
    if (!p.ok) problems.push(`--lifecycle: ${p.problem}`);
  }
  for (const [flag, value] of [
    ['--canary-env', opts.canaryEnv],
    ['--second-key-env', opts.secondKeyEnv],
    ['--expired-key-env', opts.expiredKeyEnv],
  ] as const) {
    const problem = value === undefined ? undefined : envNameProblem(value);
    if (problem) problems.push(`${flag}: ${problem}`);
  }
  for (const o of opts.otherEnv ?? []) {
    const p = parseOtherEnvironment(o, opts.environment ?? '');
    if (!p.ok) problems.push(`--other-env: ${p.problem}`);
  }
  return problems;
}

function missingFlags(opts: InitOptions, api: OpenApiDocument | undefined): string[] {
  const missing: string[] = [];
  for (const field of ['system', 'environment', 'purpose', 'owner'] as const) if (opts[field] === undefined) missing.push(`--${field}`);
  if (opts.origin === undefined && !(api && serverOrigin(api))) missing.push('--origin');
  if (api ? !opts.scopes && !opts.allow : !opts.allow)
    missing.push(api && availableScopes(api).length > 0 ? '--scopes or --allow' : '--allow');
  return missing;
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

/** The rate checks' default probe: the first allowed GET with nothing left to fill in. */
function defaultProbe(allowed: readonly ProposedResource[]): string {
  const r = allowed.find((a) => a.method === 'GET' && a.unresolvedParams.length === 0) ?? allowed[0]!;
  return `${r.method} ${r.path}`;
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
