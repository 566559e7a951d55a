// The lifecycle adapters, one line each. Everything that names a kind derives
// from this list: the profile schema's `lifecycle.adapter` enum and its
// `lifecycle.<kind>` sections (src/config/profile-schema.ts), the kind union
// of adapters and their records, and the factory (index.ts). A new kind is
// its own file (its schema next to its actions, exported with defineAdapter)
// plus one line here.
import type { z } from 'zod';
import { commandAdapter } from './command.js';
import { httpAdapter } from './http.js';
import { manualAdapter } from './manual.js';

export const ADAPTERS = [httpAdapter, commandAdapter, manualAdapter] as const;

type Definition = (typeof ADAPTERS)[number];

/** 'http' | 'command' | 'manual' */
export type AdapterKind = Definition['kind'];

export const ADAPTER_KINDS = ADAPTERS.map((a) => a.kind) as [AdapterKind, ...AdapterKind[]];

/** `lifecycle.http`, `lifecycle.command`, …: each kind's section, optional in the schema (the lifecycle section checks the chosen one). */
export type AdapterSections = { [D in Definition as D['kind']]: z.ZodOptional<D['schema']> };

export function adapterSections(): AdapterSections {
  return Object.fromEntries(ADAPTERS.map((a) => [a.kind, a.schema.optional()])) as AdapterSections;
}

/** The profile's lifecycle section as the adapters read it: which kind, and each kind's section. */
export type AdapterChoice = { readonly adapter: AdapterKind } & {
  readonly [D in Definition as D['kind']]?: z.output<D['schema']>;
};

export function adapterDefinition(kind: AdapterKind): Definition {
  const found = ADAPTERS.find((a) => a.kind === kind);
  // Unreachable for a parsed profile: its enum is this list.
  if (!found) throw new Error(`no lifecycle adapter of kind "${kind}"`);
  return found;
}
