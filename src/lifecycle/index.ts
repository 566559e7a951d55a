// Builds the lifecycle adapter a profile asks for, from the registry (adapters.ts).
import { sectionOf } from './adapters.js';
import type { AdapterDeps } from './deps.js';
import type { LifecycleAdapter } from './types.js';

export type { AdapterDeps, Terminal } from './deps.js';
export type { LifecycleAdapter } from './types.js';

/** The profile's adapter, or undefined when it has no lifecycle section. */
export function createLifecycleAdapter(deps: AdapterDeps): LifecycleAdapter | undefined {
  const choice = deps.profile.lifecycle;
  if (!choice) return undefined;
  const { definition, section } = sectionOf(choice);
  // The profile schema refuses `adapter: <kind>` without its section unless the section is optional.
  if (section === undefined) throw new Error(`lifecycle.${choice.adapter} is missing`);
  return definition.create(section, deps);
}
