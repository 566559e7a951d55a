// The README's "Your first real profile" walk-through, read from the README
// itself so that a test runs what a reader runs: its `npx keyprobe …`
// commands as argument lists, and its edit of the profile `init` wrote.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parse, parseDocument } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';

const HEADING = '## Your first real profile';

function section(): string {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(HEADING);
  if (start < 0) throw new Error(`README has no "${HEADING}" section`);
  return readme.slice(start, readme.indexOf('\n## ', start + HEADING.length));
}

function blocks(lang: string): string[] {
  return [...section().matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

/** The shell lines of the walk-through, continuation lines joined. */
export function walkthroughShellLines(): string[] {
  return blocks('sh')
    .join('\n')
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Each `npx keyprobe …` command, as keyprobe's arguments. */
export function walkthroughKeyprobeCommands(): string[][] {
  return walkthroughShellLines()
    .filter((l) => l.startsWith('npx keyprobe '))
    .map((l) => shellWords(l).slice(2));
}

/** Applies the README's YAML edit to the profile text `init` wrote, keeping its comments. */
export function applyWalkthroughEdit(profileText: string): string {
  const [edit] = blocks('yaml');
  if (!edit) throw new Error('the walk-through shows no YAML edit');
  const doc = parseDocument(profileText);
  for (const [section, value] of Object.entries(parse(edit) as Record<string, unknown>)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && isMap(doc.get(section)))
      for (const [field, v] of Object.entries(value)) doc.setIn([section, field], v);
    else doc.set(section, value);
  }
  return doc.toString();
}

/** Words of one shell line: "double" and 'single' quotes, no expansions (the walk-through uses none in keyprobe's arguments). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}
