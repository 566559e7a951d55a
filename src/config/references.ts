// Resolves `${env:NAME}` and `${file:path}` references in every string of a
// validated document. A problem names the variable or file, never a value.
//
// A document is reviewed like code but must not be able to read what the
// operator did not give it: `${file:…}` reads only regular files inside the
// document's own folder or a folder the operator named (--secrets-dir), never
// through a symbolic link that leads out, and at most REFERENCED_FILE_MAX_BYTES.
// `${env:…}` reads the environment the caller hands in: the CLI's (the
// operator's own, as it always has), or exactly what a library caller passes.
//
// A resolved value must be clean: a key with a stray newline, CR, BOM, NUL or
// surrounding whitespace either fails every request or, echoed back trimmed
// by a server, no longer matches the secret the redactor knows. Such a value
// is refused here, before any request, rather than half-worked-around later.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { confine, readRegularFile } from './read-file.js';
import type { YamlSource } from './yaml-source.js';
import { formatPath } from './zod-problems.js';

const REFERENCE = /\$\{(env|file):([^}]+)\}/g;

/** A secret, a token or a short text: far below this. */
export const REFERENCED_FILE_MAX_BYTES = 64 * 1024;

export interface ResolveOptions {
  /** Folders besides the document's own that `${file:…}` may read (the operator's --secrets-dir). */
  readonly secretsDirs?: readonly string[];
  /** What the document is, for messages: "the profile's folder". */
  readonly documentKind?: string;
}

export interface ResolveResult<T> {
  readonly value: T;
  readonly problems: ConfigProblem[];
  /** Values resolved into fields named `secret`. */
  readonly secrets: string[];
  /** Every value a reference resolved to, in any field, with the field's path (see secret-references.ts). */
  readonly resolved: { readonly path: PropertyKey[]; readonly value: string }[];
}

export function resolveReferences<T>(value: T, source: YamlSource, env: NodeJS.ProcessEnv, opts: ResolveOptions = {}): ResolveResult<T> {
  const problems: ConfigProblem[] = [];
  const secrets: string[] = [];
  const resolved: { path: PropertyKey[]; value: string }[] = [];

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
        const dirt = dirtyValue(v);
        if (dirt) {
          problem(path, `the value of \${env:${ref}} ${dirt} (the value is not shown; nothing is stripped from a variable)`);
          return whole;
        }
        resolved.push({ path, value: v });
        return v;
      }
      const read = readReferencedFile(ref, source, opts);
      if (!read.ok) {
        problem(path, read.message);
        return whole;
      }
      resolved.push({ path, value: read.text });
      return read.text;
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

type FileText = { ok: true; text: string } | { ok: false; message: string };

/** The text of a `${file:ref}`, with one final "\n" (which editors add) removed, or why it cannot be used. */
function readReferencedFile(ref: string, source: YamlSource, opts: ResolveOptions): FileText {
  const read = readConfinedFile(ref, source.file, REFERENCED_FILE_MAX_BYTES, opts);
  if (!read.ok) return read;
  let text: string;
  try {
    // ignoreBOM: keep a BOM so that it is refused below rather than silently dropped.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(read.bytes);
  } catch {
    return { ok: false, message: `the file ${ref} is not UTF-8 text` };
  }
  const value = text.endsWith('\n') ? text.slice(0, -1) : text;
  let dirt = dirtyValue(value);
  if (dirt === 'ends with a line break') dirt = 'ends with more than one line break';
  if (dirt) return { ok: false, message: `the file ${ref} ${dirt} (the value is not shown; only a single final \\n is stripped)` };
  return { ok: true, text: value };
}

export type ConfinedRead = { ok: true; bytes: Buffer } | { ok: false; message: string };

/**
 * Reads a file a document names (`${file:…}`, target.ca), resolved against
 * the document's folder: only inside that folder or one of opts.secretsDirs,
 * a regular file, at most `maxBytes`. `hint` says what else the operator can
 * do when the file is outside.
 */
export function readConfinedFile(
  ref: string,
  documentFile: string,
  maxBytes: number,
  opts: ResolveOptions,
  hint = 'or in a folder the operator names with --secrets-dir',
): ConfinedRead {
  const ownFolder = dirname(resolve(documentFile));
  const folders = [ownFolder, ...(opts.secretsDirs ?? [])];
  const file = resolve(ownFolder, ref);
  const kind = opts.documentKind ?? 'profile';
  const confined = confine(file, folders);
  if (!confined.ok) {
    if (confined.reason !== 'outside') return { ok: false, message: `the file ${ref} ${confined.reason}` };
    // Lexically inside but really outside: a symbolic link on the way leads out.
    const viaLink = folders.some((f) => isInside(file, resolve(f)));
    return {
      ok: false,
      message: `the file ${ref} is outside the ${kind}'s folder${viaLink ? ' (through a symbolic link)' : ''}; a ${kind} may read files only in its own folder (${ownFolder}) ${hint}`,
    };
  }
  const read = readRegularFile(confined.realPath, maxBytes, { noFollow: true });
  return read.ok ? read : { ok: false, message: `the file ${ref} ${read.reason}` };
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** What is wrong with a resolved value, phrased to follow "the value …", or undefined if it is clean. */
export function dirtyValue(value: string): string | undefined {
  if (value.includes('\uFEFF')) return 'contains a byte-order mark (BOM)';
  if (value.includes('\0')) return 'contains a NUL character';
  if (value.endsWith('\r')) return 'ends with a carriage return (a CRLF line ending?)';
  if (value.includes('\r')) return 'contains a carriage return';
  if (value.endsWith('\n')) return 'ends with a line break';
  if (/[\n\u2028\u2029\u0085]/.test(value)) return 'contains a line break';
  const control = /[\u0000-\u001f\u007f-\u009f]/.exec(value);
  if (control) return `contains a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  if (/^\s/.test(value)) return 'starts with whitespace';
  if (/\s$/.test(value)) return 'ends with whitespace';
  return undefined;
}
