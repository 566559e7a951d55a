// Builds the lifecycle adapter a profile asks for.
import { CommandLifecycleAdapter } from './command.js';
import type { AdapterDeps } from './deps.js';
import { HttpLifecycleAdapter } from './http.js';
import { ManualLifecycleAdapter } from './manual.js';
import type { LifecycleAdapter } from './types.js';

export type { AdapterDeps, Terminal } from './deps.js';
export type { ActionRecord, LifecycleAdapter, LifecycleAction } from './types.js';

/** The profile's adapter, or undefined when it has no lifecycle section. */
export function createLifecycleAdapter(deps: AdapterDeps): LifecycleAdapter | undefined {
  const spec = deps.profile.lifecycle;
  if (!spec) return undefined;
  switch (spec.adapter) {
    case 'http':
      return new HttpLifecycleAdapter(spec.http!, deps);
    case 'command':
      return new CommandLifecycleAdapter(spec.command!, deps);
    case 'manual':
      return new ManualLifecycleAdapter(spec.manual, deps);
  }
}
