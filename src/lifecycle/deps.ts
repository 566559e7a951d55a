// What every lifecycle adapter is built from. The runner makes one set per
// check, so the adapter's requests count against the profile's budget and its
// actions land with that check's evidence.
import type { AuthPlacement, HttpClient } from '../http/client.js';
import type { SecretRegistry } from '../secrets.js';
import type { AdapterChoice } from './adapters.js';
import type { ActionRecord } from './types.js';

/** Where a manual step asks its question. */
export interface Terminal {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: { write(text: string): unknown };
}

/** What of the profile an adapter reads (a parsed Profile is one); the lifecycle never imports src/config. */
export interface AdapterProfile {
  readonly target: { readonly origin: string; readonly auth: AuthPlacement; readonly timeoutMs: number };
  readonly key: { readonly secret: string };
  readonly lifecycle?: AdapterChoice & { readonly retry: { readonly attempts: number; readonly maxSeconds: number } };
}

export interface AdapterDeps {
  readonly profile: AdapterProfile;
  /** The check's client (target origin, run budget, run signal). */
  readonly http: HttpClient;
  readonly secrets: SecretRegistry;
  /** The run's abort signal. */
  readonly signal: AbortSignal;
  readonly interactive: boolean;
  readonly terminal?: Terminal;
  /** keyprobe's environment; a command gets only PATH, HOME and the variables its profile lists from it. */
  readonly env: NodeJS.ProcessEnv;
  /** The operator allowed the command adapter to run shell commands (--allow-commands, KEYPROBE_ALLOW_COMMANDS=1). */
  readonly allowCommands?: boolean;
  /** Shared by an adapter and its cleanup copies. */
  readonly records: ActionRecord[];
  /** Set on cleanup copies: ignore the run signal, give up after this many ms. */
  readonly cleanupTimeoutMs?: number;
}

/** Output kept as evidence is capped to this many characters. */
export const OUTPUT_EXCERPT_CHARS = 1000;

export function excerpt(text: string, redact: (s: string) => string): string {
  const r = redact(text.trim());
  return r.length > OUTPUT_EXCERPT_CHARS ? `${r.slice(0, OUTPUT_EXCERPT_CHARS)}… (${r.length - OUTPUT_EXCERPT_CHARS} more characters)` : r;
}
