// Loads a profile: YAML with positions → literal secrets refused → secret
// references resolved → zod validation (every problem at once) → a profile
// the code can use.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { fingerprint } from '../secrets.js';
import { LITERAL_SECRET_MESSAGE, profileSchema, SECRET_REFERENCE, type Profile } from './profile-schema.js';
import { resolveReferences } from './references.js';
import { acceptsShortSecrets, referencedSecrets } from './secret-references.js';
import { readYamlFile, type YamlSource } from './yaml-source.js';
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
}

export interface ProfileCheck {
  readonly problems: ConfigProblem[];
  readonly loaded?: LoadedProfile;
}

/**
 * Checks a profile file. With `env`, references are resolved and the result
 * is usable; without it only the structure is checked, and fields whose value
 * is still a reference are taken on trust.
 */
export function checkProfileFile(file: string, env?: NodeJS.ProcessEnv): ProfileCheck {
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
    const resolved = resolveReferences(raw, source, env);
    problems.push(...resolved.problems);
    data = resolved.value;
    // Every referenced value outside the public fields is a secret, and must be long enough to keep out of the reports.
    const referenced = referencedSecrets(resolved.resolved, source, acceptsShortSecrets(resolved.value));
    problems.push(...referenced.problems);
    secrets = [...new Set([...resolved.secrets, ...referenced.secrets])];
  }
  const parsed = profileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = env ? parsed.error.issues : parsed.error.issues.filter((i) => !isReference(valueAt(raw, i.path)));
    problems.push(...issuesToProblems(issues, source, profileSchema));
  } else {
    problems.push(...semanticProblems(parsed.data, source));
  }
  const ca = parsed.success && env ? readTargetCa(parsed.data, source, problems) : undefined;
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
    },
  };
}

export function loadProfile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedProfile {
  const { problems, loaded } = checkProfileFile(file, env);
  if (!loaded) throw new ConfigError(problems);
  return loaded;
}

/** Every field named `secret` must be a reference, never the secret itself. */
function literalSecretProblems(raw: unknown, source: YamlSource): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, path: PropertyKey[]) => {
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

/** target.ca names a PEM file, relative to the profile's folder; a file that cannot be read is a located problem. */
function readTargetCa(p: Profile, source: YamlSource, problems: ConfigProblem[]): string | undefined {
  if (!p.target.ca) return undefined;
  try {
    return readFileSync(resolve(dirname(source.file), p.target.ca), 'utf8');
  } catch (err) {
    const pos = source.locate(['target', 'ca']);
    problems.push({
      file: source.file,
      line: pos?.line,
      column: pos?.column,
      path: 'target.ca',
      message: `cannot read the CA file ${p.target.ca} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    return undefined;
  }
}

export function keyFingerprint(loaded: LoadedProfile): string {
  return fingerprint(loaded.profile.key.secret);
}
