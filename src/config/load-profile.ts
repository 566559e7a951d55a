// Loads a profile: YAML with positions → literal secrets refused → secret
// references resolved → zod validation (every problem at once) → a profile
// the code can use.
import { createHash } from 'node:crypto';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { LITERAL_SECRET_MESSAGE, profileSchema, SECRET_REFERENCE, type Profile } from './profile-schema.js';
import { readConfinedFile, resolveReferences } from './references.js';
import { acceptsShortSecrets, referencedSecrets } from './secret-references.js';
import { locateFromText, readYamlFile, type YamlSource } from './yaml-source.js';
import { formatPath, issuesToProblems, valueAt } from './zod-problems.js';

export interface LoadedProfile {
  readonly file: string;
  /** sha256 of the file as read, hex. */
  readonly digest: string;
  readonly profile: Profile;
  /** Every secret the profile resolved; registered for redaction before any request. */
  readonly secrets: readonly string[];
  /** PEM text of target.ca (read relative to the profile's folder), when the profile names one. */
  readonly ca?: string;
  /** The file as read: a worker thread makes its own locate from it (src/runner/shards.ts). */
  readonly text?: string;
  /** Line and column of a field (by path) in the profile file, for findings shown as file:line. */
  readonly locate?: (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;
}

/** What the operator (not the profile) decides: from the command line or the operator's environment (src/cli/operator.ts). */
export interface ProfileOptions {
  /** Folders besides the profile's own that `${file:…}` and target.ca may read (--secrets-dir), absolute. */
  readonly secretsDirs?: readonly string[];
  /** The only origins the profile may name (--allow-origin, KEYPROBE_ALLOWED_ORIGINS); absent: any. */
  readonly allowedOrigins?: readonly string[];
}

/** A certificate bundle is far below this. */
const CA_MAX_BYTES = 1024 * 1024;

export interface ProfileCheck {
  readonly problems: ConfigProblem[];
  readonly loaded?: LoadedProfile;
}

/**
 * Checks a profile file. With `env`, references are resolved and the result
 * is usable; without it only the structure is checked, and fields whose value
 * is still a reference are taken on trust.
 */
export function checkProfileFile(file: string, env?: NodeJS.ProcessEnv, opts: ProfileOptions = {}): ProfileCheck {
  const read = readYamlFile(file);
  if (!read.ok) return { problems: read.problems };
  const { source } = read;
  const raw = source.data;
  if (raw === null || raw === undefined) return { problems: [{ file, line: 1, column: 1, path: '', message: 'the profile is empty' }] };
  if (typeof raw !== 'object' || Array.isArray(raw))
    return { problems: [{ file, line: 1, column: 1, path: '', message: 'a profile is a mapping with key, target and allowed sections' }] };

  const problems = literalSecretProblems(raw, source);
  let data: unknown = raw;
  let secrets: string[] = [];
  if (env) {
    const resolved = resolveProfileReferences(raw, source, env, opts);
    problems.push(...resolved.problems);
    data = resolved.value;
    secrets = resolved.secrets;
  }
  const parsed = profileSchema.safeParse(data);
  if (!parsed.success) {
    // A field whose reference is not resolved is already reported as such; its stand-in text is not a second problem.
    const unresolved = new Set(problems.map((p) => p.path));
    const issues = env
      ? parsed.error.issues.filter((i) => !(unresolved.has(formatPath(i.path)) && isReference(valueAt(data, i.path))))
      : parsed.error.issues.filter((i) => !isReference(valueAt(raw, i.path)));
    problems.push(...issuesToProblems(issues, source, profileSchema));
  } else {
    problems.push(...semanticProblems(parsed.data, source));
  }
  if (opts.allowedOrigins) problems.push(...originProblems(data, source, opts.allowedOrigins));
  const ca = parsed.success && env ? readTargetCa(parsed.data, source, problems, opts) : undefined;
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (problems.length > 0 || !parsed.success || !env) return { problems };
  return {
    problems,
    loaded: {
      file,
      digest: createHash('sha256').update(source.text).digest('hex'),
      profile: parsed.data,
      secrets,
      ...(ca !== undefined ? { ca } : {}),
      text: source.text,
      locate: locateFromText(source),
    },
  };
}

/**
 * Resolves every `${env:…}` / `${file:…}` of a profile: the resolved document,
 * the secrets it pulled in, and every reference that cannot be used (unset,
 * unreadable, outside the allowed folders, unclean, too short), located and
 * named, never with a value.
 */
export function resolveProfileReferences(
  raw: unknown,
  source: YamlSource,
  env: NodeJS.ProcessEnv,
  opts: ProfileOptions = {},
): { value: unknown; problems: ConfigProblem[]; secrets: string[] } {
  const resolved = resolveReferences(raw, source, env, { secretsDirs: opts.secretsDirs });
  // Every referenced value outside the public fields is a secret, and must be long enough to keep out of the reports.
  const referenced = referencedSecrets(resolved.resolved, source, acceptsShortSecrets(resolved.value));
  return {
    value: resolved.value,
    problems: [...resolved.problems, ...referenced.problems],
    secrets: [...new Set([...resolved.secrets, ...referenced.secrets])],
  };
}

/**
 * Loads, resolves and checks one profile. `env` is where `${env:NAME}` is
 * looked up: the CLI passes the environment it read (io.env); a library caller
 * or a test passes exactly the variables it means (nothing else is read).
 */
export function loadProfile(file: string, env: NodeJS.ProcessEnv, opts: ProfileOptions = {}): LoadedProfile {
  const { problems, loaded } = checkProfileFile(file, env, opts);
  if (!loaded) throw new ConfigError(problems);
  return loaded;
}

/**
 * Every field named `secret` must be a reference, never the secret itself —
 * except in a lifecycle template's `extract`, where `secret: data.token` names
 * the answer field that will hold the new secret.
 */
function literalSecretProblems(raw: unknown, source: YamlSource): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, path: PropertyKey[]) => {
    if (isExtractMap(path)) return;
    if (Array.isArray(node)) {
      for (const [i, v] of node.entries()) walk(v, [...path, i]);
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'secret' && typeof v === 'string' && !SECRET_REFERENCE.test(v)) {
          const pos = source.locate([...path, k]);
          problems.push({
            file: source.file,
            line: pos?.line,
            column: pos?.column,
            path: formatPath([...path, k]),
            message: LITERAL_SECRET_MESSAGE,
          });
        } else walk(v, [...path, k]);
      }
    }
  };
  walk(raw, []);
  return problems;
}

/** lifecycle.http.<action>.extract */
function isExtractMap(path: readonly PropertyKey[]): boolean {
  return path.length === 4 && path[0] === 'lifecycle' && path[1] === 'http' && path[3] === 'extract';
}

function isReference(v: unknown): boolean {
  return typeof v === 'string' && v.includes('${');
}

/** Rules zod cannot express per field. */
function semanticProblems(p: Profile, source: YamlSource): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (path: PropertyKey[], message: string) => {
    const pos = source.locate(path);
    problems.push({ file: source.file, line: pos?.line, column: pos?.column, path: formatPath(path), message });
  };
  const allowed = new Set(p.allowed.map((r) => `${r.method} ${r.path}`));
  p.denied.forEach((r, i) => {
    if (allowed.has(`${r.method} ${r.path}`)) at(['denied', i], `${r.method} ${r.path} is listed as both allowed and denied`);
  });
  const targetEnv = p.target.environment ?? p.key.environment;
  p.otherEnvironments.forEach((k, i) => {
    if (k.environment === targetEnv)
      at(
        ['otherEnvironments', i, 'environment'],
        `"${k.environment}" is the target's own environment; list keys of other environments here`,
      );
  });
  return problems;
}

/** Every field that names where requests go. */
const ORIGIN_FIELDS = [
  ['target', 'origin'],
  ['lifecycle', 'http', 'origin'],
] as const;

/**
 * Origins outside the operator's allow-list, checked on the data as it stands
 * (resolved, or raw for a structure-only check, where a reference is skipped
 * until it is resolved). A value that is not a URL is left to the schema.
 */
function originProblems(data: unknown, source: YamlSource, allowed: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const path of ORIGIN_FIELDS) {
    const value = valueAt(data, path);
    if (typeof value !== 'string' || isReference(value)) continue;
    let origin: string;
    try {
      origin = new URL(value).origin;
    } catch {
      continue;
    }
    if (allowed.includes(origin)) continue;
    const pos = source.locate([...path]);
    const list = allowed.length > 0 ? allowed.join(', ') : 'none: KEYPROBE_ALLOWED_ORIGINS is set but empty';
    problems.push({
      file: source.file,
      line: pos?.line,
      column: pos?.column,
      path: formatPath([...path]),
      message: `${origin} is not an allowed origin (--allow-origin, KEYPROBE_ALLOWED_ORIGINS: ${list})`,
    });
  }
  return problems;
}

/**
 * target.ca names a PEM file, relative to the profile's folder and confined
 * like `${file:…}`; a CA elsewhere is the operator's to give (--ca). A file
 * that cannot be used is a located problem.
 */
function readTargetCa(p: Profile, source: YamlSource, problems: ConfigProblem[], opts: ProfileOptions): string | undefined {
  if (!p.target.ca) return undefined;
  const read = readConfinedFile(
    p.target.ca,
    source.file,
    CA_MAX_BYTES,
    opts,
    'or in a folder named with --secrets-dir; or give the CA on the command line with --ca',
  );
  if (read.ok) return read.bytes.toString('utf8');
  const pos = source.locate(['target', 'ca']);
  problems.push({ file: source.file, line: pos?.line, column: pos?.column, path: 'target.ca', message: read.message });
  return undefined;
}
