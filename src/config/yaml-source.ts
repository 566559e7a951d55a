// Reads a YAML file into plain data while keeping the source positions, so
// every problem can be reported as file:line:column.
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigProblem } from '../errors.js';

export interface YamlSource {
  readonly file: string;
  readonly text: string;
  readonly data: unknown;
  /** Finds the line and column of the value (or, with `key`, of the key) at a path. */
  locate(path: readonly PropertyKey[], key?: boolean): { line: number; column: number } | undefined;
}

/** Aliases expand at most this many times: a YAML "billion laughs" document fails fast. */
const MAX_ALIAS_COUNT = 50;
const MAX_FILE_BYTES = 1024 * 1024;

export type YamlReadResult = { ok: true; source: YamlSource } | { ok: false; problems: ConfigProblem[] };

export function readYamlFile(file: string): YamlReadResult {
  let buffer: Buffer;
  try {
    buffer = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'unknown error'})`;
    return { ok: false, problems: [{ file, path: '', message: why }] };
  }
  if (buffer.length > MAX_FILE_BYTES) {
    return { ok: false, problems: [{ file, path: '', message: `file is ${buffer.length} bytes; at most ${MAX_FILE_BYTES} are read` }] };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return { ok: false, problems: [{ file, path: '', message: 'file is not valid UTF-8 text' }] };
  }
  return parseYamlText(text, file);
}

export function parseYamlText(text: string, file: string): YamlReadResult {
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true });
  } catch (err) {
    return { ok: false, problems: [{ file, path: '', message: `not valid YAML: ${(err as Error).message}` }] };
  }
  const problems: ConfigProblem[] = [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    const firstLine = e.message.split('\n')[0] ?? e.message;
    problems.push({ file, line: pos?.line, column: pos?.col, path: '', message: `YAML: ${firstLine}` });
  }
  if (problems.length > 0) return { ok: false, problems };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return { ok: false, problems: [{ file, path: '', message: `YAML: ${(err as Error).message}` }] };
  }
  const locate = (path: readonly PropertyKey[], key = false) => {
    const node = findNode(doc.contents as Node | null, path, key);
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { ok: true, source: { file, text, data, locate } };
}

/** Walks the YAML node tree; returns the deepest node found on the way. */
function findNode(root: Node | null, path: readonly PropertyKey[], wantKey: boolean): Node | undefined {
  let node: Node | null | undefined = root;
  let found: Node | undefined = root ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return found;
      if (last && wantKey) return (pair.key as Node) ?? found;
      node = pair.value as Node | null;
      if (!node) return (pair.key as Node) ?? found;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | null;
      if (!node) return found;
    } else {
      return found;
    }
    found = node;
  }
  return found;
}

export type { Document };
