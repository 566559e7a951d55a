// Inventories for the audit tests: a clean one that breaks no rule, and one
// variant per rule that breaks exactly that rule, exactly once. Judged as of NOW.
import { randomBytes } from 'node:crypto';
import { normaliseRows, type Inventory, type RawRow } from '../../src/audit/inventory.js';

export const NOW = new Date('2026-06-01T00:00:00Z');

export type Row = Record<string, unknown>;

export const CLEAN: readonly Row[] = [
  {
    id: 'key_a1',
    name: 'crm-prod-agent-call',
    owner: 'crm-team@example.com',
    environment: 'prod',
    scopes: ['agents:read', 'agents:call'],
    created: '2026-03-01',
    expires: '2026-12-01',
    lastUsed: '2026-05-30T10:00:00Z',
    enabled: true,
    seenEnvironments: ['prod'],
  },
  {
    id: 'key_b2',
    name: 'billing-test-invoice-sync',
    owner: 'billing-team@example.com',
    environment: 'test',
    prefix: 'kp_test_',
    scopes: ['workflows:read'],
    created: '2026-04-01',
    expires: '2027-01-01',
    lastUsed: '2026-05-20T08:00:00Z',
    enabled: true,
    seenEnvironments: ['test'],
  },
  {
    id: 'key_c3',
    name: 'reporting-prod-export',
    owner: 'data-team@example.com',
    environment: 'prod',
    scopes: ['resources:read'],
    created: '2025-09-01',
    expires: '2026-08-01',
    lastUsed: '2026-01-10T00:00:00Z',
    enabled: false,
    disabledAt: '2026-02-01',
  },
];

/** A key that breaks nothing, to be changed into one that breaks one rule. */
const base = (id: string, name: string): Row => ({
  id,
  name,
  owner: 'ledger-team@example.com',
  environment: 'prod',
  scopes: ['ledger:read'],
  created: '2026-02-01',
  expires: '2026-11-01',
  lastUsed: '2026-05-28T00:00:00Z',
  enabled: true,
});

/** A secret generated at test time: never a real key, never committed. */
export function generatedSecret(): string {
  return `kp_prod_${randomBytes(24)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 32)
    .padEnd(32, 'Q')}`;
}

export interface Breaking {
  readonly rule: string;
  /** The one offending row (appended to CLEAN). */
  readonly row: Row;
  /** The key the finding must name. */
  readonly names: string;
}

export function breakingCases(secret: string): Breaking[] {
  return [
    { rule: 'audit.unclaimed-key', row: { ...base('key_u1', 'ledger-prod-sync'), owner: '' }, names: 'ledger-prod-sync (key_u1)' },
    {
      rule: 'audit.stale-key',
      row: { ...base('key_s1', 'ledger-prod-sync'), lastUsed: '2026-01-01T00:00:00Z' },
      names: 'ledger-prod-sync (key_s1)',
    },
    {
      rule: 'audit.over-privileged-key',
      row: { ...base('key_o1', 'ledger-prod-sync'), scopes: ['*'] },
      names: 'ledger-prod-sync (key_o1)',
    },
    {
      rule: 'audit.test-key-in-production',
      row: { ...base('key_t1', 'ledger-test-sync'), environment: 'test', seenEnvironments: ['test', 'prod'] },
      names: 'ledger-test-sync (key_t1)',
    },
    { rule: 'audit.key-naming', row: { ...base('key_n1', 'api') }, names: 'api (key_n1)' },
    { rule: 'audit.expiry-policy', row: { ...base('key_e1', 'ledger-prod-sync'), expires: '' }, names: 'ledger-prod-sync (key_e1)' },
    {
      rule: 'audit.rotation-overdue',
      row: { ...base('key_r1', 'ledger-prod-sync'), created: '2025-05-01', expires: '2026-05-01', lastUsed: '2026-04-30T00:00:00Z' },
      names: 'ledger-prod-sync (key_r1)',
    },
    {
      rule: 'audit.rotation-due-soon',
      row: { ...base('key_d1', 'ledger-prod-sync'), created: '2026-01-01', expires: '2026-06-15' },
      names: 'ledger-prod-sync (key_d1)',
    },
    {
      rule: 'audit.revoked-key-in-use',
      row: { ...base('key_v1', 'ledger-prod-sync'), enabled: false, lastUsed: '2026-05-31T12:00:00Z' },
      names: 'ledger-prod-sync (key_v1)',
    },
    {
      rule: 'audit.secret-in-inventory',
      row: { ...base('key_x1', 'ledger-prod-sync'), notes: `rotated, new value ${secret}` },
      names: 'key_x1',
    },
    { rule: 'audit.inventory-rows-valid', row: { ...base('key_i1', 'ledger-prod-sync'), created: 'last tuesday' }, names: 'key_i1' },
  ];
}

export function inventoryOf(rows: readonly Row[]): Inventory {
  const raw: RawRow[] = rows.map((values, i) => ({ row: i + 1, values }));
  return { source: 'test', format: 'json', digest: '0', rowCount: raw.length, requests: 0, ...normaliseRows(raw) };
}

const CSV_FIELDS = [
  'id',
  'name',
  'owner',
  'environment',
  'prefix',
  'scopes',
  'created',
  'expires',
  'lastUsed',
  'enabled',
  'disabledAt',
  'seenEnvironments',
  'notes',
];

export function toCsv(rows: readonly Row[]): string {
  const cell = (v: unknown) => {
    const s = v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${CSV_FIELDS.join(',')}\n${rows.map((r) => CSV_FIELDS.map((f) => cell(r[f])).join(',')).join('\n')}\n`;
}
