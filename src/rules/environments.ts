// Environment names and the markers keys carry for them. Spellings differ
// (prod, production, live, prd); everything is compared in canonical form.

const CANONICAL: Readonly<Record<string, string>> = {
  prod: 'prod',
  production: 'prod',
  live: 'prod',
  prd: 'prod',
  test: 'test',
  testing: 'test',
  staging: 'staging',
  stage: 'staging',
  stg: 'staging',
  dev: 'dev',
  development: 'dev',
  sandbox: 'sandbox',
  sbx: 'sandbox',
  qa: 'qa',
  uat: 'uat',
  preprod: 'preprod',
  preview: 'preview',
  demo: 'demo',
  local: 'local',
};

/** Every environment word we know, in every spelling: what a key name's <env> part may be. */
export const ENVIRONMENT_WORDS: readonly string[] = Object.keys(CANONICAL);

/** The canonical name of an environment word (`production` → `prod`), or the word itself lower-cased. */
export function canonicalEnvironment(name: string): string {
  const lower = name.trim().toLowerCase();
  return CANONICAL[lower] ?? lower;
}

/** True for words that name an environment we know. */
export function isEnvironmentWord(word: string): boolean {
  return Object.hasOwn(CANONICAL, word.toLowerCase());
}

export function isProduction(name: string): boolean {
  return canonicalEnvironment(name) === 'prod';
}

export interface EnvironmentMarker {
  /** The marker as it appears at the start of the key, e.g. `sk_test_`. Names a key type; not secret. */
  readonly prefix: string;
  readonly environment: string;
}

/**
 * The environment marker at the start of a secret: `kp_test_`, `sk_live_`,
 * `rk_test_`, `pk_test_`, `test_`, … Only the leading word_word_ part is
 * looked at, so random characters later in the key never count.
 */
export function environmentMarker(secret: string): EnvironmentMarker | undefined {
  const m = /^(?:([A-Za-z]{1,12})_)?([A-Za-z]{2,12})_/.exec(secret);
  if (!m) return undefined;
  const [prefix, first, second] = m as unknown as [string, string | undefined, string];
  if (isEnvironmentWord(second)) return { prefix, environment: canonicalEnvironment(second) };
  if (first && isEnvironmentWord(first)) return { prefix: `${first}_`, environment: canonicalEnvironment(first) };
  return undefined;
}
