// The audit policy file: which environments count as production and test, the
// rotation period, and per rule its thresholds, severity, whether it gates,
// and whether it runs. Everything has a default, so no file is needed. Read
// with the profile loader's machinery: YAML with positions → strict zod →
// every problem at once, as file:line: field: message.
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Severity } from '../result.js';
import { readYamlFile } from '../config/yaml-source.js';
import { issuesToProblems } from '../config/zod-problems.js';
import type { AnyRule, AuditSettings } from './rule.js';
import { RULES } from './rules/index.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** What every rule section may say besides the rule's own thresholds. */
const common = {
  enabled: z
    .boolean()
    .default(true)
    .meta({ description: 'Whether the rule runs at all.', examples: [false] }),
  gating: z
    .boolean()
    .optional()
    .meta({
      description: "Whether a finding of this rule fails the audit (exit 1). Default: the rule's own (keyprobe audit --list-rules).",
      examples: [false],
    }),
  severity: z
    .enum(SEVERITIES)
    .optional()
    .meta({
      description: "The severity its findings are reported with. Default: the rule's own.",
      examples: ['high'],
    }),
};

function ruleSection(rule: AnyRule) {
  return (rule.params as unknown as z.ZodObject)
    .extend(common)
    .prefault({})
    .meta({ description: `${rule.title}: ${rule.description}` });
}

export const DEFAULT_PRODUCTION_ENVIRONMENTS = ['prod', 'production', 'live'];
export const DEFAULT_TEST_ENVIRONMENTS = ['test', 'dev', 'development', 'staging', 'stage', 'sandbox', 'qa', 'uat', 'preview', 'local'];

export const policySchema = z
  .strictObject({
    environments: z
      .strictObject({
        production: z
          .array(z.string().min(1))
          .min(1)
          .default(DEFAULT_PRODUCTION_ENVIRONMENTS)
          .meta({ description: 'The environment names that count as production (case does not matter).', examples: [['prod', 'live']] }),
        test: z
          .array(z.string().min(1))
          .default(DEFAULT_TEST_ENVIRONMENTS)
          .meta({
            description: 'The environment names that count as test; a test key in production is a finding (audit.test-key-in-production).',
            examples: [['dev', 'staging']],
          }),
      })
      .prefault({})
      .meta({ description: 'Which environment names are production and which are test.' }),
    rotationPeriodDays: z
      .number()
      .int()
      .positive()
      .default(365)
      .meta({
        description: 'A key is due for rotation this many days after its creation or last rotation (or at its expiry, if earlier).',
        examples: [90],
      }),
    rules: z
      .strictObject(Object.fromEntries(RULES.map((r) => [r.id, ruleSection(r)])))
      .prefault({})
      .meta({ description: 'Per rule: whether it runs, gates and at what severity, and its own thresholds.' }),
  })
  .superRefine((p, ctx) => {
    const prod = new Set(p.environments.production.map((e) => e.toLowerCase()));
    p.environments.test.forEach((e, i) => {
      if (prod.has(e.toLowerCase()))
        ctx.addIssue({ code: 'custom', path: ['environments', 'test', i], message: `"${e}" is listed as both production and test` });
    });
  });

/** One rule's settings after the policy is applied. */
export interface RuleSettings {
  readonly enabled: boolean;
  readonly gating: boolean;
  readonly severity: Severity;
  /** The rule's own thresholds, validated by its params schema. */
  readonly params: unknown;
}

export interface AuditPolicy {
  /** The policy file, or undefined for the built-in defaults. */
  readonly file?: string;
  readonly productionEnvironments: readonly string[];
  readonly testEnvironments: readonly string[];
  readonly rotationPeriodDays: number;
  readonly rules: ReadonlyMap<string, RuleSettings>;
}

function toPolicy(parsed: z.output<typeof policySchema>, file?: string): AuditPolicy {
  const rules = new Map<string, RuleSettings>();
  for (const rule of RULES) {
    const section = (parsed.rules as Record<string, Record<string, unknown>>)[rule.id] ?? {};
    const { enabled, gating, severity, ...params } = section as { enabled: boolean; gating?: boolean; severity?: Severity };
    rules.set(rule.id, { enabled, gating: gating ?? rule.gating, severity: severity ?? rule.severity, params });
  }
  return {
    ...(file ? { file } : {}),
    productionEnvironments: parsed.environments.production,
    testEnvironments: parsed.environments.test,
    rotationPeriodDays: parsed.rotationPeriodDays,
    rules,
  };
}

export function defaultPolicy(): AuditPolicy {
  return toPolicy(policySchema.parse({}));
}

/** Reads and checks a policy file; throws ConfigError with every problem, located. */
export function loadPolicy(file: string): AuditPolicy {
  const read = readYamlFile(file);
  if (!read.ok) throw new ConfigError(read.problems);
  const { source } = read;
  const data = source.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([
      { file, line: 1, column: 1, path: '', message: 'an audit policy is a mapping (environments, rotationPeriodDays, rules)' },
    ]);
  }
  const parsed = policySchema.safeParse(data);
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error.issues, { ...source, data }, policySchema));
  return toPolicy(parsed.data, file);
}

export function settingsOf(policy: AuditPolicy, now: number): AuditSettings {
  return {
    now,
    productionEnvironments: policy.productionEnvironments,
    testEnvironments: policy.testEnvironments,
    rotationPeriodDays: policy.rotationPeriodDays,
  };
}
