// The lifecycle adapters, one line each. Everything that names a kind derives
// from this list: the profile schema's `lifecycle.adapter` enum and its
// `lifecycle.<kind>` sections (src/config/profile-schema.ts), the factory
// (index.ts), what a profile's adapter offers (adapterOffers, read by the
// checks' preconditions), the restore lines (restore.ts) and `keyprobe init`'s
// kinds. A new kind is its own file (its schema next to its actions, its
// definition exported with defineAdapter, its adapter built on
// LifecycleAdapterBase) plus one line here; TypeScript then asks for its
// `keyprobe init` skeleton (src/init/scaffold.ts), and test/lifecycle/
// registry.test.ts for a minimal section to build it from.
import { z } from 'zod';
import type { AdapterDefinition } from './adapter-definition.js';
import { commandAdapter } from './command.js';
import { httpAdapter } from './http.js';
import { manualAdapter } from './manual.js';
import type { LifecycleAction } from './types.js';

export const ADAPTERS = [httpAdapter, commandAdapter, manualAdapter] as const;

type Definition = (typeof ADAPTERS)[number];

/** 'http' | 'command' | 'manual' */
export type AdapterKind = Definition['kind'];

export const ADAPTER_KINDS = ADAPTERS.map((a) => a.kind) as [AdapterKind, ...AdapterKind[]];

/** `lifecycle.adapter`: which kind, described from the registry. */
export const adapterKindSchema = z.enum(ADAPTER_KINDS).meta({
  description: `Which adapter creates, disables, enables, rotates and deletes keys: ${ADAPTERS.map((a) => `${a.kind} (${a.summary})`).join('; ')}. Its own section, lifecycle.<adapter>, declares the actions it has${
    ADAPTERS.some((a) => a.sectionOptional)
      ? ` (required except for ${ADAPTERS.filter((a) => a.sectionOptional)
          .map((a) => a.kind)
          .join(', ')})`
      : ''
  }; the sections of the other adapters are not used.`,
  examples: ['http', 'manual'],
});

/** `lifecycle.http`, `lifecycle.command`, …: each kind's section, optional in the schema (the lifecycle section checks the chosen one). */
export type AdapterSections = { [D in Definition as D['kind']]: z.ZodOptional<D['schema']> };

export function adapterSections(): AdapterSections {
  return Object.fromEntries(ADAPTERS.map((a) => [a.kind, a.schema.optional()])) as AdapterSections;
}

/** The profile's lifecycle section as the adapters read it: which kind, and each kind's section. */
export type AdapterChoice = { readonly adapter: AdapterKind } & {
  readonly [D in Definition as D['kind']]?: z.output<D['schema']>;
};

/** The section the profile's choice of adapter uses: its own, or the defaults of one that may be left out; undefined if missing. */
export function sectionOf(choice: AdapterChoice): { definition: AdapterDefinition; section: unknown } {
  // The definition and its section belong together by kind; TypeScript cannot pair them through the union.
  const definition = adapterDefinition(choice.adapter) as AdapterDefinition;
  const section = choice[choice.adapter] ?? (definition.sectionOptional ? definition.schema.parse({}) : undefined);
  return { definition, section };
}

/** Whether the profile's adapter offers `action`, from the profile alone; its adapter's can() answers the same. */
export function adapterOffers(choice: AdapterChoice, action: LifecycleAction): boolean {
  const { definition, section } = sectionOf(choice);
  if (section === undefined) return false;
  return definition.offers ? definition.offers(section, action) : (section as Record<string, unknown>)[action] !== undefined;
}

export function adapterDefinition(kind: AdapterKind): Definition {
  const found = ADAPTERS.find((a) => a.kind === kind);
  // Unreachable for a parsed profile: its enum is this list.
  if (!found) throw new Error(`no lifecycle adapter of kind "${kind}"`);
  return found;
}
