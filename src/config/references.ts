// Resolves `${env:NAME}` and `${file:path}` references in every string of a
// validated document. A problem names the variable or file, never a value.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { formatPath } from './zod-problems.js';
import type { YamlSource } from './yaml-source.js';

const REFERENCE = /\$\{(env|file):([^}]+)\}/g;

export interface ResolveResult<T> {
  readonly value: T;
  readonly problems: ConfigProblem[];
  /** Values resolved into fields named `secret`. */
  readonly secrets: string[];
  /** Every value a reference resolved to, in any field, with the field's path (see secret-references.ts). */
  readonly resolved: { readonly path: PropertyKey[]; readonly value: string }[];
}

export function resolveReferences<T>(value: T, source: YamlSource, env: NodeJS.ProcessEnv = process.env): ResolveResult<T> {
  const problems: ConfigProblem[] = [];
  const secrets: string[] = [];
  const resolved: { path: PropertyKey[]; value: string }[] = [];
  const baseDir = dirname(resolve(source.file));

  const problem = (path: PropertyKey[], message: string) => {
    const pos = source.locate(path);
    problems.push({ file: source.file, line: pos?.line, column: pos?.column, path: formatPath(path), message });
  };

  const resolveString = (text: string, path: PropertyKey[]): string =>
    text.replace(REFERENCE, (whole, kind: string, ref: string) => {
      if (kind === 'env') {
        const v = env[ref];
        if (v === undefined || v === '') {
          problem(path, `environment variable ${ref} is not set`);
          return whole;
        }
        resolved.push({ path, value: v });
        return v;
      }
      const file = resolve(baseDir, ref);
      try {
        const v = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        resolved.push({ path, value: v });
        return v;
      } catch (err) {
        problem(path, `cannot read referenced file ${ref} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        return whole;
      }
    });

  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') {
      const out = resolveString(node, path);
      if (path[path.length - 1] === 'secret' && out !== node) secrets.push(out);
      return out;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node && typeof node === 'object' && !(node instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return node;
  };

  return { value: walk(value, []) as T, problems, secrets, resolved };
}
