// What is generated from the check list (src/checks/index.ts), so that a new
// check is one file plus one line there: the bundled prelaunch suite and the
// README's check table. Both are files people read, so they are written out
// and a test fails when one is stale (`npm run docs:checks` rewrites them).
// The suite JSON Schema's ids and params (src/schema/json-schemas.ts) and the
// practices (each check's `practice`) read the list directly.
import type { AnyCheck } from './check.js';
import { CHECKS } from './index.js';

const PRELAUNCH_HEADER = `# yaml-language-server: $schema=../schemas/suite.schema.json
# Generated from the check list (src/checks/index.ts) by \`npm run docs:checks\`; do not edit by hand.
# The default suite: every check keyprobe implements, each gating the launch
# unless marked \`gating: false\`. A check the profile gives no data for is
# skipped with the reason — except a \`required\` one: the launch exists for
# those (the key works, is refused where it must be, dies when disabled, is
# throttled), so when one cannot run the launch is unverified (exit 3), and
# \`keyprobe validate\` says what the profile must add.
name: prelaunch
description: Everything a key must prove before an integration goes live.
checks:
`;

/** suites/prelaunch.yaml: every check in catalogue order, with its declared defaults and `required` mark. */
export function prelaunchSuiteText(checks: readonly AnyCheck[] = CHECKS): string {
  return PRELAUNCH_HEADER + checks.map((c) => `  - id: ${c.id}\n${c.required ? '    required: true\n' : ''}`).join('');
}

export const CHECK_TABLE_START = '<!-- check-table:start -->';
export const CHECK_TABLE_END = '<!-- check-table:end -->';

/** The README's check table: id, the property it states, severity, and what it does to keys. */
export function checkTableMarkdown(checks: readonly AnyCheck[] = CHECKS): string {
  const rows = checks.map((c) => `| \`${c.id}\` | ${cell(c.title)} | ${c.severity} | ${cell(keyEffect(c))} |`);
  return [
    CHECK_TABLE_START,
    '<!-- Generated from src/checks/index.ts by `npm run docs:checks`; do not edit by hand. -->',
    '',
    '| check | what must hold | severity | destructive |',
    '|---|---|---|---|',
    ...rows,
    '',
    CHECK_TABLE_END,
  ].join('\n');
}

function keyEffect(check: AnyCheck): string {
  return check.keyEffect ?? (check.destructive ? 'yes (canary key)' : '');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The README with its check-table block replaced; undefined when it has no block. */
export function withCheckTable(readme: string, table: string = checkTableMarkdown()): string | undefined {
  const start = readme.indexOf(CHECK_TABLE_START);
  const end = readme.indexOf(CHECK_TABLE_END);
  if (start === -1 || end < start) return undefined;
  return readme.slice(0, start) + table + readme.slice(end + CHECK_TABLE_END.length);
}
