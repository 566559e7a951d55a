// Ready mappings for the platforms users have, shipped in the package as
// plain mapping files (presets/<name>.yaml) that a user can copy and adjust.
// `--preset NAME` reads one; `keyprobe audit --list-presets` lists them.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import { loadMapping, type LoadedMapping } from './mapping.js';

export const PRESETS_DIR = join(PACKAGE_ROOT, 'presets');

/** The mapping `--inventory-url` uses without --mapping or --preset: the reference target's GET /admin/keys. */
export const DEFAULT_PRESET = 'keyprobe-reference';

export function presetNames(): string[] {
  if (!existsSync(PRESETS_DIR)) return [];
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export function presetFile(name: string): string {
  const names = presetNames();
  if (!names.includes(name)) throw new UsageError(`unknown preset "${name}"; known presets: ${names.join(', ')}`);
  return join(PRESETS_DIR, `${name}.yaml`);
}

export function loadPreset(name: string): LoadedMapping {
  return loadMapping(presetFile(name));
}

/** Each preset with its description, for --list-presets. */
export function describePresets(): { name: string; file: string; description: string }[] {
  return presetNames().map((name) => {
    const file = join(PRESETS_DIR, `${name}.yaml`);
    return { name, file, description: loadMapping(file).mapping.description ?? '' };
  });
}
