// Every value a profile pulls in through `${env:…}` or `${file:…}` is a
// secret, whatever the field: a second credential in allowed[].headers (key id
// + secret APIs), a token in a body, a signed path. Only the fields that every
// report shows by design (the key's name and ids, environments, dates, scopes,
// the origins) are left out: their values are what the report is about. Each
// secret must also be long enough to be kept out of the reports reliably
// (secret-policy.ts).
import type { ConfigProblem } from '../errors.js';
import { shortSecretProblem } from '../secret-policy.js';
import type { YamlSource } from './yaml-source.js';
import { formatPath } from './zod-problems.js';

/** Fields whose values are public by design; `*` stands for any list index. */
const PUBLIC_FIELDS = new Set([
  'key.name',
  'key.system',
  'key.environment',
  'key.purpose',
  'key.owner',
  'key.created',
  'key.expires',
  'key.id',
  'key.scopes.*',
  'target.origin',
  'target.environment',
  'target.ca',
  'lifecycle.http.origin',
  'canary.id',
  'canary.name',
  'secondKey.id',
  'secondKey.name',
  'expiredKey.id',
  'expiredKey.name',
  'otherEnvironments.*.environment',
  'otherEnvironments.*.name',
  'governance.custodians.*',
]);

function isPublic(path: readonly PropertyKey[]): boolean {
  return PUBLIC_FIELDS.has(path.map((p) => (typeof p === 'number' ? '*' : String(p))).join('.'));
}

/** Whether the profile accepts secrets shorter than the safe minimum (`key.acceptShortSecrets: true`). */
export function acceptsShortSecrets(profile: unknown): boolean {
  const key = (profile as { key?: { acceptShortSecrets?: unknown } } | null)?.key;
  return key?.acceptShortSecrets === true;
}

/** The secrets among the resolved references, and a located problem for each one too short to keep out of the reports. */
export function referencedSecrets(
  resolved: readonly { readonly path: PropertyKey[]; readonly value: string }[],
  source: YamlSource,
  acceptShort: boolean,
): { secrets: string[]; problems: ConfigProblem[] } {
  const secrets: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const { path, value } of resolved) {
    if (isPublic(path)) continue;
    const why = shortSecretProblem(value, acceptShort);
    if (why) {
      const pos = source.locate(path);
      problems.push({ file: source.file, line: pos?.line, column: pos?.column, path: formatPath(path), message: why });
      continue;
    }
    secrets.push(value);
  }
  return { secrets: [...new Set(secrets)], problems };
}
