// Runs `keyprobe run` as a user would (a child process, against a reference
// target served from this process) and reads back its results.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CLI, ROOT, type RunResult } from './keyprobe.js';
import { timedSpawn, type Timed } from './spawn.js';

export interface CliRun {
  readonly result: RunResult;
  readonly process: Timed;
}

export async function runKeyprobe(
  profiles: readonly string[],
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  outDir: string,
): Promise<CliRun> {
  mkdirSync(outDir, { recursive: true });
  const t = await timedSpawn(process.execPath, [CLI, 'run', ...profiles, '--out', outDir, '--quiet', ...args], {
    // Not the repository: `keyprobe run` points <cwd>/reports/latest at its output.
    cwd: dirname(outDir),
    env: { ...process.env, ...env, NO_COLOR: '1' },
    timeoutMs: 3 * 60_000,
  });
  let result: RunResult;
  try {
    result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
  } catch {
    throw new Error(`keyprobe run exited ${t.code} without results.json: ${(t.stderr || t.stdout).trim().split('\n').slice(-3).join(' ')}`);
  }
  return { result, process: t };
}

/** The bundled demo profile with some fields changed (dotted paths), written to `file`. */
export function demoProfileVariant(file: string, changes: Readonly<Record<string, unknown>>): string {
  const profile = parse(readFileSync(join(ROOT, 'profiles', 'crm-prod-agent-call.yaml'), 'utf8')) as Record<string, unknown>;
  for (const [path, value] of Object.entries(changes)) {
    const parts = path.split('.');
    let node = profile;
    for (const p of parts.slice(0, -1)) {
      if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
      node = node[p] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
  writeFileSync(file, stringify(profile));
  return file;
}

export function onlyCheck(result: RunResult, id: string) {
  const c = result.profiles[0]?.checks.find((x) => x.id === id);
  if (!c) throw new Error(`results.json has no ${id} result`);
  return c;
}
