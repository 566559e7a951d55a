// Reads a YAML file into plain data while keeping the source positions, so
// every problem can be reported as file:line:column.
import { isUtf8 } from 'node:buffer';
import { isMap, isPair, isScalar, isSeq, LineCounter, visit, type Document, type Node } from 'yaml';
import { parseYaml } from './yaml-parse.js';
import type { ConfigProblem } from '../errors.js';
import { readRegularFile } from './read-file.js';

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
  // Whatever path the operator gives: a FIFO or a device is refused before reading, and reading stops at the cap.
  const read = readRegularFile(file, MAX_FILE_BYTES);
  if (!read.ok) {
    const why =
      read.reason === 'does not exist' ? 'file not found' : /^is \d+ bytes/.test(read.reason) ? `file ${read.reason}` : read.reason;
    return { ok: false, problems: [{ file, path: '', message: why }] };
  }
  const buffer = read.bytes;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return {
      ok: false,
      problems: [
        {
          file,
          ...bytePosition(buffer, firstInvalidUtf8(buffer)),
          path: '',
          message: 'file is not valid UTF-8 text (binary data, or another encoding)',
        },
      ],
    };
  }
  return parseYamlText(text, file);
}

export function parseYamlText(text: string, file: string): YamlReadResult {
  // Refused before parsing: the yaml library recurses once per level, and near
  // the stack's end V8 can abort the whole process (a fatal "RegExpCompiler
  // allocation failed"), which no try/catch can turn into a message.
  const tooDeep = nestingProblem(text, file);
  if (tooDeep) return { ok: false, problems: [tooDeep] };
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    // logLevel 'error': the yaml library would otherwise print its warnings straight to stderr.
    doc = parseYaml(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true, logLevel: 'error' });
  } catch (err) {
    return { ok: false, problems: [{ file, path: '', message: `not valid YAML: ${(err as Error).message}` }] };
  }
  const problems: ConfigProblem[] = [];
  const sourceLines = doc.errors.length > 0 ? text.split('\n') : [];
  for (const e of doc.errors) {
    const pos = e.linePos?.[0];
    // The position is already in file:line:column; drop the copy prettyErrors appends.
    const firstLine = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
    // `{ secret: ${env:K} }`: inside { } or [ ] the `{` of a reference opens a mapping.
    const hint =
      pos && /\$\{/.test(sourceLines[pos.line - 1] ?? '') && /flow/.test(firstLine)
        ? ` (inside { … } or [ … ] quote a reference: '\${env:NAME}')`
        : '';
    problems.push({ file, line: pos?.line, column: pos?.col, path: '', message: `YAML: ${firstLine}${hint}` });
  }
  // A list or mapping used as a mapping key has no field name; JS would turn it into "[object Object]".
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key as Node | null;
      if (key && !isScalar(key)) {
        const pos = key.range ? lineCounter.linePos(key.range[0]) : undefined;
        problems.push({
          file,
          line: pos?.line,
          column: pos?.col,
          path: '',
          message: 'YAML: a mapping key must be plain text, not a list or a mapping',
        });
      }
    },
  });
  if (problems.length > 0) return { ok: false, problems };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // Only aliases make toJS throw (unresolved, or too many expansions): point at the culprit.
    const pos = aliasToBlame(doc, lineCounter);
    const message = (err as Error).message.replace(
      /^Excessive alias count indicates a resource exhaustion attack$/,
      `aliases expand more than ${MAX_ALIAS_COUNT} times (an "alias bomb"); write the values out instead`,
    );
    return { ok: false, problems: [{ file, line: pos?.line, column: pos?.col, path: '', message: `YAML: ${message}` }] };
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

/**
 * A locate for a source already parsed and checked that keeps only its text:
 * the parsed document (some 45 kB a profile, held for the whole run by every
 * profile: 45 MB in a thousand-profile run) is parsed again from the text the
 * first time a position is asked for, which only a finding tied to a profile
 * field does. The same text gives the same positions.
 */
export function locateFromText(source: Pick<YamlSource, 'file' | 'text'>): YamlSource['locate'] {
  const { file, text } = source;
  let parsed: YamlSource | undefined;
  return (path, key) => {
    if (!parsed) {
      const read = parseYamlText(text, file);
      if (!read.ok) return undefined;
      parsed = read.source;
    }
    return parsed.locate(path, key);
  };
}

/** The first alias whose anchor does not resolve, or else the first alias. */
function aliasToBlame(doc: Document, lineCounter: LineCounter): { line: number; col: number } | undefined {
  let unresolved: Node | undefined;
  let first: Node | undefined;
  visit(doc, {
    Alias(_, alias) {
      first ??= alias;
      if (!unresolved && alias.resolve(doc) === undefined) unresolved = alias;
    },
  });
  const offset = (unresolved ?? first)?.range?.[0];
  return offset === undefined ? undefined : lineCounter.linePos(offset);
}

/** Deeper than any profile or suite needs (they use fewer than ten levels). */
const MAX_NESTING = 64;

/**
 * A cheap estimate of how deep the document nests: block indentation levels
 * (and `- - -` on one line) plus open flow brackets outside quotes and
 * comments. Reports the first place it goes past MAX_NESTING.
 */
function nestingProblem(text: string, file: string): ConfigProblem | undefined {
  const indents: number[] = [];
  let flow = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    const rest = line.slice(indent);
    if (flow === 0 && rest && !rest.startsWith('#')) {
      while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      const dashes = /^(?:[-?:] +)+/.exec(rest)?.[0].replace(/ /g, '').length ?? 0;
      if (indents.length + dashes > MAX_NESTING) return deepAt(file, i, indent);
    }
    let quote: string | undefined;
    for (let c = indent; c < line.length; c++) {
      const ch = line[c]!;
      if (quote) {
        if (ch === '\\' && quote === '"') c++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '#' && (c === 0 || /\s/.test(line[c - 1]!))) break;
      else if (ch === '[' || ch === '{') {
        if (++flow + indents.length > MAX_NESTING) return deepAt(file, i, c);
      } else if ((ch === ']' || ch === '}') && flow > 0) flow--;
    }
  }
  return undefined;
}

function deepAt(file: string, lineIndex: number, column: number): ConfigProblem {
  return {
    file,
    line: lineIndex + 1,
    column: column + 1,
    path: '',
    message: `the document nests more than ${MAX_NESTING} levels deep here; a profile or suite needs far fewer`,
  };
}

/** Offset of the first byte that does not start a valid UTF-8 sequence. */
function firstInvalidUtf8(buf: Buffer): number {
  for (let i = 0; i < buf.length; ) {
    const b = buf[i]!;
    const size = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (size === 0 || (size > 1 && !isUtf8(buf.subarray(i, i + size)))) return i;
    i += size;
  }
  return -1;
}

function bytePosition(buf: Buffer, offset: number): { line?: number; column?: number } {
  if (offset < 0) return {};
  const before = buf.subarray(0, offset);
  const lastNewline = before.lastIndexOf(0x0a);
  let line = 1;
  for (const b of before) if (b === 0x0a) line++;
  return { line, column: offset - lastNewline };
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
