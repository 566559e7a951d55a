// Reads an inventory export: YAML or JSON (a list of keys, or a mapping with a
// `keys` list, or the list a mapping's `items` names) or CSV (a header row
// naming the fields, or the columns a mapping names). The format comes from
// the extension. A file that cannot be read as a whole is a ConfigError
// (exit 2); bad rows are returned as row problems and the rest is audited.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node } from 'yaml';
import { parseYaml } from '../../config/yaml-parse.js';
import { ConfigError, type ConfigProblem } from '../../errors.js';
import { canonicalField, normaliseRows, type Inventory, type RawRow } from '../inventory.js';
import { checkColumns, compileMapping, valueAtPath, type LoadedMapping } from '../mapping.js';
import { parseCsv } from './csv.js';

/** Large enough for millions of keys, small enough not to exhaust memory by accident. */
const MAX_INVENTORY_BYTES = 512 * 1024 * 1024;

export type FileFormat = 'yaml' | 'json' | 'csv';

export function formatOf(file: string): FileFormat | undefined {
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  return undefined;
}

export function readInventoryFile(file: string, label = file, mapping?: LoadedMapping): Inventory {
  const format = formatOf(file);
  const fail = (message: string, line?: number): never => {
    throw new ConfigError([{ file: label, path: '', message, ...(line ? { line, column: 1 } : {}) }]);
  };
  if (!format) fail('unknown inventory format: name the file .yaml, .yml, .json or .csv');
  let buffer: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_INVENTORY_BYTES) fail(`file is ${size} bytes; at most ${MAX_INVENTORY_BYTES} are read`);
    buffer = readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot be read (${code ?? 'unknown error'})`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return fail('file is not valid UTF-8 text');
  }
  const items = mapping?.mapping.items;
  let columns: ReadonlySet<string> | undefined;
  let rows: RawRow[];
  if (format === 'csv') {
    const csv = csvRows(text, label, mapping);
    rows = csv.rows;
    columns = csv.columns;
  } else rows = format === 'json' ? jsonRows(text, label, items) : yamlRows(text, label, items);
  const normalised = normaliseRows(rows, mapping ? compileMapping(mapping.mapping, columns) : undefined);
  return {
    source: label,
    format: format!,
    digest: createHash('sha256').update(buffer).digest('hex'),
    rowCount: rows.length,
    requests: 0,
    ...normalised,
  };
}

const SHAPE = 'an inventory is a list of keys, or a mapping with a "keys" list (or set "items" in a --mapping to where the list is)';

function csvRows(text: string, file: string, mapping?: LoadedMapping): { rows: RawRow[]; columns: ReadonlySet<string> } {
  const records = parseCsv(text);
  const header = records[0];
  if (!header)
    throw new ConfigError([
      { file, path: '', message: 'the file is empty; expected a header row naming the fields (id,name,environment,created,…)' },
    ]);
  const problems: ConfigProblem[] = [];
  if (header.error) problems.push({ file, line: header.line, column: 1, path: '', message: `header row: ${header.error}` });
  const names = header.fields.map((f) => f.trim());
  if (mapping) problems.push(...checkColumns(mapping, names, file));
  // Without an id a key cannot be found again; every other field may be one the platform does not record.
  if (!mapping?.mapping.fields.id && !names.some((n) => canonicalField(n) === 'id'))
    problems.push({
      file,
      line: header.line,
      column: 1,
      path: '',
      message: 'header row has no column for id; name it in a --mapping file (fields: { id: <column> })',
    });
  names.forEach((n, i) => {
    if (n === '') problems.push({ file, line: header.line, column: 1, path: '', message: `header row: column ${i + 1} has no name` });
    else if (names.indexOf(n) !== i)
      problems.push({ file, line: header.line, column: 1, path: '', message: `header row: column "${n}" appears twice` });
  });
  if (problems.length > 0) throw new ConfigError(problems);

  const rows: RawRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r]!;
    if (rec.error || rec.fields.length !== names.length) {
      // The fields cannot be trusted, so the row is reported as a whole: a row problem, not a rejected file.
      const message = rec.error ?? `has ${rec.fields.length} fields; the header has ${names.length}`;
      const values: Record<string, string> = {};
      rec.fields.forEach((v, c) => {
        values[names[c] ?? `column ${c + 1}`] = v;
      });
      rows.push({ row: r, line: rec.line, values, error: message });
      continue;
    }
    const values: Record<string, string> = {};
    for (let c = 0; c < names.length; c++) values[names[c]!] = rec.fields[c]!;
    rows.push({ row: r, line: rec.line, values });
  }
  return { rows, columns: new Set(names) };
}

function jsonRows(text: string, file: string, items?: string): RawRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const line = at ? lineAt(text, Number(at[1])) : undefined;
    throw new ConfigError([{ file, path: '', message: `not valid JSON: ${message}`, ...(line ? { line, column: 1 } : {}) }]);
  }
  const { list, under } = keyList(data, file, items);
  // Lines are found for a list at the top or one level down; deeper lists are read without them.
  const lines = under === undefined || !under.includes('.') ? jsonElementLines(text, under) : [];
  return list.map((values, i) => toRawRow(values, i + 1, lines[i], file, under));
}

function yamlRows(text: string, file: string, items?: string): RawRow[] {
  const lineCounter = new LineCounter();
  const doc = parseYaml(text, { lineCounter, uniqueKeys: true, strict: true });
  const errors = doc.errors.map((e) => ({
    file,
    path: '',
    message: `YAML: ${e.message.split('\n')[0]}`,
    ...(e.linePos?.[0] ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}),
  }));
  if (errors.length > 0) throw new ConfigError(errors);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `YAML: ${(err as Error).message}` }]);
  }
  const { list, under } = keyList(data, file, items);
  let seq: Node | null | undefined = doc.contents as Node | null;
  for (const segment of under ? under.split('.') : []) {
    if (!isMap(seq)) break;
    const pair = seq.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment);
    seq = pair?.value as Node | undefined;
  }
  const lines = isSeq(seq)
    ? seq.items.map((item) => ((item as Node | null)?.range ? lineCounter.linePos((item as Node).range![0]).line : undefined))
    : [];
  return list.map((values, i) => toRawRow(values, i + 1, lines[i], file, under));
}

function keyList(data: unknown, file: string, items?: string): { list: unknown[]; under?: string } {
  if (items !== undefined && items !== '') {
    const list = valueAtPath(data, items);
    if (Array.isArray(list)) return { list, under: items };
    if (data === null || data === undefined) throw new ConfigError([{ file, path: '', message: `the file is empty; ${SHAPE}` }]);
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: `there is no list at "${items}" (the mapping's items)` }]);
  }
  if (Array.isArray(data)) return { list: data };
  if (items === '')
    throw new ConfigError([
      { file, line: 1, column: 1, path: '', message: 'the mapping says the file is the list (items: ""), but it is not a list' },
    ]);
  if (data && typeof data === 'object' && Array.isArray((data as Record<string, unknown>).keys))
    return { list: (data as { keys: unknown[] }).keys, under: 'keys' };
  if (data === null || data === undefined) throw new ConfigError([{ file, path: '', message: `the file is empty; ${SHAPE}` }]);
  throw new ConfigError([{ file, line: 1, column: 1, path: '', message: SHAPE }]);
}

function toRawRow(values: unknown, row: number, line: number | undefined, _file: string, under?: string): RawRow {
  const at = line !== undefined ? { line } : {};
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    return { row, ...at, values: {}, error: `${under ? `${under}[${row - 1}]` : `item ${row - 1}`} is not a mapping of fields` };
  }
  return { row, ...at, values: values as Record<string, unknown> };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * The line on which each element of the key list starts. JSON.parse keeps no
 * positions, so one pass over the text follows strings and nesting: elements
 * of the top-level array (or of the top-level object's `keys` array).
 */
export function jsonElementLines(text: string, under?: string): number[] {
  const lines: number[] = [];
  const targetDepth = under ? 2 : 1;
  let depth = 0;
  let line = 1;
  let inTarget = false;
  let expectElement = false;
  let lastKey = '';
  let afterColonKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    if (expectElement && c !== 93 /* ] */) {
      lines.push(line);
      expectElement = false;
    }
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 92 /* \ */) j += 2;
        else if (d === 34) break;
        else {
          if (d === 10) line++;
          j++;
        }
      }
      if (depth === 1) lastKey = text.slice(i + 1, j);
      i = j;
      continue;
    }
    if (c === 58 /* : */ && depth === 1) afterColonKey = lastKey;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (c === 91 && depth === targetDepth && (!under || afterColonKey === under)) {
        inTarget = true;
        expectElement = true;
      }
    } else if (c === 93 || c === 125) {
      if (depth === targetDepth && inTarget && c === 93) inTarget = false;
      depth--;
      if (depth === 1) afterColonKey = '';
    } else if (c === 44 /* , */ && depth === targetDepth && inTarget) expectElement = true;
  }
  return lines;
}
