// What a lifecycle adapter kind is to the rest of keyprobe: its name (the
// profile's `lifecycle.adapter`), the schema of its profile section
// (`lifecycle.<kind>`), and how to build it. The registry (adapters.ts) lists
// one of these per kind; the profile schema, the kind unions and the factory
// all derive from that list, so a kind cannot be half added.
import type { z } from 'zod';
import type { AdapterDeps } from './deps.js';
import type { KeyRef, LifecycleAction, LifecycleAdapter } from './types.js';

export interface AdapterDefinition<K extends string = string, S extends z.ZodType = z.ZodType> {
  readonly kind: K;
  /** How this kind acts, in a few words, for the description of `lifecycle.adapter`. */
  readonly summary: string;
  /** The `lifecycle.<kind>` section, with every field's description, example and default. */
  readonly schema: S;
  /**
   * Whether `adapter: <kind>` may come without its section (the schema's
   * defaults then apply). Otherwise the profile is refused without it.
   */
  readonly sectionOptional?: boolean;
  create(spec: z.output<S>, deps: AdapterDeps): LifecycleAdapter<NoInfer<K>>;
  /**
   * Whether a section offers an action, read from the profile alone (checks
   * decide what they can do before any adapter exists); the adapter's `can()`
   * must answer the same. Default: the section declares the action.
   */
  offers?(spec: z.output<S>, action: LifecycleAction): boolean;
  /**
   * How a person restores a key by hand when keyprobe's cleanup could not,
   * in this kind's terms (a curl line, a command); undefined: the generic
   * "do it in your key management console". Never holds a secret.
   */
  restoreLine?(spec: z.output<S>, action: 'enable' | 'delete', key: KeyRef, targetOrigin: string): string | undefined;
}

/** Keeps the literal kind and the schema's type, so the registry's unions are exact. */
export function defineAdapter<const K extends string, S extends z.ZodType>(definition: AdapterDefinition<K, S>): AdapterDefinition<K, S> {
  return definition;
}
