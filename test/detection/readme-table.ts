// Renders the detection matrix as the Markdown table in README.md, from the
// tests' own data: the cases, and the reference target's fault metadata.
import { FAULTS } from '../../src/reference/index.js';
import type { DetectionCase } from './case.js';

export const TABLE_START = '<!-- detection-matrix:start -->';
export const TABLE_END = '<!-- detection-matrix:end -->';

export function renderDetectionTable(cases: readonly DetectionCase[]): string {
  const rows = cases.map((c) => {
    const faults = c.faults.map((f) => FAULTS.find((d) => d.name === f.split('=')[0]));
    const under = c.behaviours?.length ? ` under behaviour ${c.behaviours.map((b) => `\`${b}\``).join(' + ')}` : '';
    const defect =
      c.profileVariant && c.faults.length === 0
        ? `profile variant \`${c.profileVariant}\`${c.defect ? `: ${c.defect}` : ''}`
        : c.faults.map((f) => `fault \`${f}\``).join(' + ') + under + (c.defect ? `: ${c.defect}` : '');
    const seenIn =
      c.seenIn ??
      faults
        .map((d) => d?.seenIn ?? '')
        .filter(Boolean)
        .join('; ');
    return `| ${cell(defect)} | \`${c.expectFail}\` | ${cell(seenIn || '—')} |`;
  });
  return [
    TABLE_START,
    '<!-- Generated from test/detection/*-cases.ts by `npm run docs:matrix`; do not edit by hand. -->',
    '',
    '| Defect (reference-target fault or profile variant; under a platform behaviour with a truthful profile) | Check that catches it | Seen in real systems |',
    '|---|---|---|',
    ...rows,
    '',
    TABLE_END,
  ].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** The README with its detection-matrix block replaced (or a section appended when there is none). */
export function withDetectionTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start !== -1 && end > start) return readme.slice(0, start) + table + readme.slice(end + TABLE_END.length);
  const section = `## Detection matrix\n\nEach row is a defect keyprobe's own tests switch on in the reference target (or build into the profile), and the one check proven to catch it: with the defect on, that check fails and every other check of its phase passes (test/detection/).\n\n${table}\n`;
  return `${readme.replace(/\s*$/, '')}${readme.trim() ? '\n\n' : ''}${section}`;
}
