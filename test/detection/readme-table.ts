// Renders the detection matrix as the Markdown table in README.md, from the
// tests' own data: the cases (with the limiters each is proven under), and
// the reference target's fault metadata.
import { FAULTS } from '../../src/reference/index.js';
import { LIMITERS, type DetectionCase, type Limiter } from './case.js';

/** Column headings for the limiters, saying what each one counts. */
const LIMITER_HEADINGS: Readonly<Record<Limiter, string>> = {
  'per-key': 'Under a per-key limiter',
  'per-client': 'Under a per-client-address limiter (counts every request, 429 before auth)',
};

export const TABLE_START = '<!-- detection-matrix:start -->';
export const TABLE_END = '<!-- detection-matrix:end -->';

export function renderDetectionTable(cases: readonly DetectionCase[]): string {
  const rows = cases.map((c) => {
    const faults = c.faults.map((f) => FAULTS.find((d) => d.name === f.split('=')[0]));
    const under = c.behaviours?.length ? ` under behaviour ${c.behaviours.map((b) => `\`${b}\``).join(' + ')}` : '';
    const defect = c.profileVariant
      ? `profile variant \`${c.profileVariant}\`${c.defect ? `: ${c.defect}` : ''}`
      : c.faults.map((f) => `fault \`${f}\``).join(' + ') + under + (c.defect ? `: ${c.defect}` : '');
    const seenIn =
      c.seenIn ??
      faults
        .map((d) => d?.seenIn ?? '')
        .filter(Boolean)
        .join('; ');
    const limiters = LIMITERS.map((l) => (c.notUnder?.[l] ? `not applicable: ${c.notUnder[l]}` : 'only this check fails'));
    return `| ${cell(defect)} | \`${c.expectFail}\` | ${limiters.map(cell).join(' | ')} | ${cell(seenIn || '—')} |`;
  });
  return [
    TABLE_START,
    '<!-- Generated from test/detection/*-cases.ts by `npm run docs:matrix`; do not edit by hand. -->',
    '',
    `| Defect (reference-target fault or profile variant; under a platform behaviour the profile declares truthfully) | Check that catches it | ${LIMITERS.map((l) => LIMITER_HEADINGS[l]).join(' | ')} | Seen in real systems |`,
    `|---|---|${LIMITERS.map(() => '---|').join('')}---|`,
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
  const section = `## Detection matrix\n\nEach row is a defect keyprobe's own tests switch on in the reference target (or build into the profile), and the one check proven to catch it under each rate limiter: with the defect on, that check fails and every other check of its phase passes (test/detection/).\n\n${table}\n`;
  return `${readme.replace(/\s*$/, '')}${readme.trim() ? '\n\n' : ''}${section}`;
}
