// Credentials that are not a key at all must be refused cleanly: a random
// key-shaped value, garbage, an empty credential, malformed values (spaces,
// unicode, very long) and the real key under the wrong scheme. Never 2xx,
// and never 5xx: a parser that crashes on a bad key (aibrix #671,
// gravitee #424) is a defect even though nothing got in. So is a refusal that
// quotes the real key back (sent under a wrong scheme) or holds a stack trace
// (refusal-echo.ts); quoting back what this check made up is not.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Profile } from '../config/profile-schema.js';
import type { Credential } from '../http/client.js';
import type { SecretRegistry } from '../secrets.js';
import { defineCheck } from './check.js';
import { presentAs, probeResource, rejectionStatuses, alsoAcceptParam } from './credentials.js';
import { describeExpected } from './describe.js';
import { deriveAndJudge, reverseOutcome } from './reverse-probe.js';
import { judgeEchoes } from './refusal-echo.js';
import { dataInRefusal } from './served-data.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface Variant {
  readonly label: string;
  readonly credential: Credential;
}

export default defineCheck({
  id: 'auth.invalid-key-rejected',
  title: 'Invalid credentials are rejected, never served and never crash the server',
  description:
    'Sends a random key-shaped value, garbage, an empty credential, malformed values (spaces, unicode, 4 KB long) and the real key under a wrong scheme to an allowed resource; each must be refused with one of rejection.statuses (default 400, 401, 403). 2xx and 5xx are failures, and so is an answer whose raw body or any header reveals a form of the key (the real key sent under a wrong scheme, quoted back) or whose body holds a stack trace; quoting back the random value or garbage it made up is not a finding.',
  severity: 'critical',
  practice: 'Reverse validation',
  destructive: false,
  phase: 'request',
  params: z.strictObject({
    alsoAccept: alsoAcceptParam(),
    wrongSchemes: z
      .array(z.string().min(1))
      .default(['Basic', 'Token'])
      .meta({
        description:
          "Authorization schemes to try with the real key, when the key travels in a header with a scheme (target.auth.scheme); the contract's own scheme is skipped.",
        examples: [['Basic', 'Token', 'Bearer']],
      }),
  }),
  async run(ctx, params) {
    const resource = probeResource(ctx.profile);
    const accepted = rejectionStatuses(ctx.profile, params.alsoAccept);
    const variants = invalidCredentials(ctx.profile, params.wrongSchemes, ctx.secrets);
    const probe = await deriveAndJudge(
      ctx,
      variants.map((v) => ({ name: v.label, resource, credential: v.credential, refusal: accepted, path: ['target', 'auth'] })),
      { dataInRefusal: dataInRefusal(ctx), echoes: judgeEchoes(ctx) },
    );
    return reverseOutcome(probe, {
      expected: `${describeExpected(accepted)} for every invalid credential on ${resource.method} ${resource.path}`,
      failed: (failures) => `expected ${describeExpected(accepted)} for invalid credentials; ${failures}`,
      passed: `all ${variants.length} invalid credentials (${variants.map((v) => v.label).join(', ')}) were refused with ${describeExpected(accepted)}`,
      measurements: { credentials: variants.length, notRefused: probe.failures.length },
    });
  },
});

/** The invalid credentials to try; the random key is registered so evidence does not show key-shaped text. */
function invalidCredentials(profile: Profile, wrongSchemes: readonly string[], secrets: SecretRegistry): Variant[] {
  const key = profile.key.secret;
  const randomKey = keyShapedRandom(key);
  secrets.add(randomKey, 'random-key');
  // UTF-8 bytes on the wire, as a real client would send them; header values must be latin1 strings.
  const unicode = Buffer.from('kp_ключ_🔑_ñ', 'utf8').toString('latin1');
  const variants: Variant[] = [
    { label: 'random key-shaped value', credential: presentAs(profile, randomKey) },
    { label: 'random garbage', credential: presentAs(profile, `!!not-a-key-${randomBytes(6).toString('hex')}`) },
    { label: 'empty credential', credential: presentAs(profile, '') },
    { label: 'malformed: spaces', credential: presentAs(profile, 'kp prod not a key') },
    { label: 'malformed: unicode', credential: presentAs(profile, unicode) },
    { label: 'malformed: 4096 characters', credential: presentAs(profile, 'A'.repeat(4096)) },
  ];
  const auth = profile.target.auth;
  // A wrong scheme only means something where the contract has a scheme.
  if ('header' in auth && auth.scheme) {
    for (const scheme of wrongSchemes) {
      if (scheme.toLowerCase() === auth.scheme.toLowerCase()) continue;
      // Basic carries user:password in base64; an API key is commonly sent as the user name.
      const value = scheme.toLowerCase() === 'basic' ? Buffer.from(`${key}:`).toString('base64') : key;
      // So its reproduce line can make it again from $KEY.
      if (value !== key) secrets.add(value, 'basic-credential', { shell: `$(printf '%s:' "$KEY" | base64 | tr -d '\\n')` });
      variants.push({
        label: `real key with scheme ${scheme}`,
        credential: { kind: 'header', name: auth.header, value: `${scheme} ${value}` },
      });
    }
  }
  return variants;
}

/**
 * A random value shaped like the real key: the same leading `word_word_`
 * prefix (not secret: it names the key type) and the same length of random
 * characters, so a target that only checks the shape is caught.
 */
export function keyShapedRandom(key: string): string {
  const prefix = /^(?:[A-Za-z]{1,12}_){1,2}/.exec(key)?.[0] ?? '';
  const length = Math.max(16, key.length - prefix.length);
  let out = '';
  for (const byte of randomBytes(length * 2)) {
    if (byte < 248 && out.length < length) out += BASE62[byte % 62];
  }
  return prefix + out.padEnd(length, 'x');
}
