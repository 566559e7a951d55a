// The key naming convention, `<system>-<env>-<purpose>` (e.g. crm-prod-agent-call),
// as pure functions, shared by everything that judges a name:
// - the launch check naming.key-name-convention (one key whose system,
//   environment and purpose are all declared): `nameProblems`;
// - the audit rule audit.key-naming (a whole inventory, where usually only
//   the environment is recorded, so the name is split into its parts):
//   `parseKeyName` and `keyNameProblems`;
// - `keyprobe init`, which must only write names the check accepts.
// One list of generic words and one list of environments serve all three.

import { canonicalEnvironment, ENVIRONMENT_WORDS } from './environments.js';

/** Environment names recognised inside a key name; the first one found after the system part is the env part. */
export const KNOWN_ENVIRONMENTS: readonly string[] = ENVIRONMENT_WORDS;

/** Names that say nothing about whose key it is or what it is for. */
export const GENERIC_NAMES: readonly string[] = [
  'test',
  'testing',
  'api',
  'api-key',
  'apikey',
  'system',
  'key',
  'keys',
  'default',
  'demo',
  'temp',
  'tmp',
  'admin',
  'root',
  'my-key',
  'mykey',
  'new-key',
  'newkey',
  'token',
  'secret',
  'main',
  'primary',
  'service',
  'app',
  'sample',
  'example',
  'foo',
  'bar',
  'test-key',
  'key1',
  'key-1',
  'dev',
  'prod',
  'master',
  'user',
];
/** Purposes that do not say what the key is for. */
export const GENERIC_PURPOSES: readonly string[] = [
  'key',
  'api',
  'api-key',
  'test',
  'testing',
  'default',
  'general',
  'misc',
  'all',
  'any',
  'temp',
  'tmp',
  'access',
  'token',
  'secret',
  'main',
  'demo',
  'admin',
  'full',
  'full-access',
  'service',
  'app',
  'system',
  'integration',
  'stuff',
  'new',
  'other',
];
/** Every generic word, whole names and purposes alike (for prompts that check one word at a time). */
export const GENERIC_NAME_WORDS: readonly string[] = [...new Set([...GENERIC_NAMES, ...GENERIC_PURPOSES])];

/** Lower-case words and digits joined by single hyphens. */
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export interface KeyNameParts {
  readonly system: string;
  readonly environment: string;
  readonly purpose: string;
}

export type ParsedKeyName = { readonly ok: true; readonly parts: KeyNameParts } | { readonly ok: false; readonly reason: string };

export interface NamingOptions {
  /** Environments recognised as the env part (default KNOWN_ENVIRONMENTS). */
  readonly environments?: readonly string[];
  /** Whole names, and system parts, that are generic (default GENERIC_NAMES). */
  readonly genericNames?: readonly string[];
  /** Purpose parts that are generic (default GENERIC_PURPOSES). */
  readonly genericPurposes?: readonly string[];
}

export function sameEnvironment(a: string, b: string): boolean {
  return canonicalEnvironment(a) === canonicalEnvironment(b);
}

/** The option lists as sets, built once per options object (an audit judges 100,000 names with the same options). */
interface CompiledOptions {
  readonly environments: ReadonlySet<string>;
  readonly genericNames: ReadonlySet<string>;
  readonly genericPurposes: ReadonlySet<string>;
}

const compiled = new WeakMap<NamingOptions, CompiledOptions>();
const DEFAULT_OPTIONS: NamingOptions = {};

function compile(options: NamingOptions): CompiledOptions {
  let c = compiled.get(options);
  if (!c) {
    c = {
      environments: new Set((options.environments ?? KNOWN_ENVIRONMENTS).map((e) => e.toLowerCase())),
      genericNames: new Set((options.genericNames ?? GENERIC_NAMES).map((w) => w.toLowerCase())),
      genericPurposes: new Set((options.genericPurposes ?? GENERIC_PURPOSES).map((w) => w.toLowerCase())),
    };
    compiled.set(options, c);
  }
  return c;
}

/**
 * Splits a name into system, environment and purpose. The system and the
 * purpose may themselves contain hyphens (`agent-call`), so the env part is
 * the first known environment after the first word; without one, the second
 * word is taken as the env part.
 */
export function parseKeyName(name: string, options: NamingOptions = DEFAULT_OPTIONS): ParsedKeyName {
  if (!KEBAB.test(name))
    return { ok: false, reason: `"${name}" is not lower-case words joined by hyphens, as in <system>-<env>-<purpose>` };
  const words = name.split('-');
  if (words.length < 3)
    return { ok: false, reason: `"${name}" has ${words.length} part${words.length === 1 ? '' : 's'}; expected <system>-<env>-<purpose>` };
  const known = compile(options).environments;
  let envAt = words.findIndex((w, i) => i >= 1 && i <= words.length - 2 && known.has(w));
  if (envAt < 0) envAt = 1;
  return {
    ok: true,
    parts: { system: words.slice(0, envAt).join('-'), environment: words[envAt]!, purpose: words.slice(envAt + 1).join('-') },
  };
}

/** What the name should agree with: the fields recorded for the key (any may be unknown). */
export interface RecordedKeyFields {
  readonly system?: string;
  readonly environment?: string;
  readonly purpose?: string;
}

/**
 * Every way a name breaks the convention, as short sentences; empty when it
 * conforms: wrong shape, generic, env part not an environment, or a part
 * that disagrees with the recorded fields.
 */
export function keyNameProblems(name: string, recorded: RecordedKeyFields = {}, options: NamingOptions = DEFAULT_OPTIONS): string[] {
  const { genericNames, genericPurposes, environments: known } = compile(options);
  if (genericNames.has(name.trim().toLowerCase())) return [`"${name}" is a generic name; use <system>-<env>-<purpose>`];
  const parsed = parseKeyName(name, options);
  if (!parsed.ok) return [parsed.reason];
  const { system, environment, purpose } = parsed.parts;
  const problems: string[] = [];
  if (genericNames.has(system)) problems.push(`system part "${system}" is generic`);
  if (genericPurposes.has(purpose)) problems.push(`purpose part "${purpose}" is generic`);
  if (!known.has(environment)) problems.push(`env part "${environment}" is not a known environment (${[...known].join(', ')})`);
  else if (recorded.environment && !sameEnvironment(environment, recorded.environment)) {
    problems.push(`env part "${environment}" disagrees with the recorded environment "${recorded.environment}"`);
  }
  if (recorded.system && system !== recorded.system.toLowerCase())
    problems.push(`system part "${system}" disagrees with the recorded system "${recorded.system}"`);
  if (recorded.purpose && purpose !== recorded.purpose.toLowerCase())
    problems.push(`purpose part "${purpose}" disagrees with the recorded purpose "${recorded.purpose}"`);
  return problems;
}

/** The form two names are compared in to find duplicates: case and surrounding space do not make a name unique. */
export function nameIdentity(name: string): string {
  return name.trim().toLowerCase();
}

/** What a profile declares about its key (all three parts known). */
export interface DeclaredKeyFields {
  readonly system: string;
  readonly environment: string;
  readonly purpose: string;
}

/**
 * Everything wrong with a declared key's name, each in a few words: the
 * check's judgement, where system, environment and purpose are all declared
 * and the name must be exactly `<system>-<env>-<purpose>` of them.
 */
export function nameProblems(
  name: string,
  declared: DeclaredKeyFields,
  params: { genericNames: readonly string[]; genericPurposes: readonly string[] },
): string[] {
  const problems: string[] = [];
  if (params.genericNames.includes(name.toLowerCase())) problems.push('it is a generic name that says nothing about its system or purpose');
  if (name !== name.toLowerCase()) problems.push('it has upper-case letters');
  if (/[^a-z0-9-]/i.test(name)) problems.push('it has characters other than letters, digits and hyphens');
  if (/--|^-|-$/.test(name)) problems.push('it has empty parts between hyphens');

  const normal = name.toLowerCase();
  const system = slug(declared.system);
  const env = slug(declared.environment);
  const purpose = slug(declared.purpose);
  if (!normal.startsWith(`${system}-`)) problems.push(`it does not start with the system "${system}"`);
  else {
    const rest = normal.slice(system.length + 1);
    if (!rest.startsWith(`${env}-`)) problems.push(`its environment part is "${rest.split('-')[0] ?? ''}", not "${env}"`);
    else if (rest.slice(env.length + 1) !== purpose) problems.push(`its purpose part is "${rest.slice(env.length + 1)}", not "${purpose}"`);
  }
  if (params.genericPurposes.includes(purpose))
    problems.push(`the purpose "${declared.purpose}" is generic: say what the key does (e.g. agent-call)`);
  if (params.genericNames.includes(system)) problems.push(`the system "${declared.system}" is generic`);
  return problems;
}

/** Lower case, words joined by single hyphens. */
export function slug(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
