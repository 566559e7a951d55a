// Reads a results.json back for `keyprobe report`: the file must be a RunResult
// of a schema version this keyprobe renders. Every problem is reported with
// its field path; the data itself is used as written.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../result.js';
import { formatPath } from '../config/zod-problems.js';

const verdict = z.enum(['pass', 'fail', 'error', 'skip']);
const headers = z.record(z.string(), z.string());
const point = z.object({ tMs: z.number(), status: z.number().optional(), accepted: z.boolean() });

const exchange = z.object({
  label: z.string(),
  method: z.string(),
  path: z.string(),
  origin: z.string(),
  atMs: z.number(),
  durationMs: z.number(),
  status: z.number().optional(),
  error: z.string().optional(),
  requestHeaders: headers,
  responseHeaders: headers,
  bodyExcerpt: z.string(),
  bodyTruncated: z.boolean(),
  curl: z.string(),
  failing: z.boolean().optional(),
});

const timeline = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('revocation'),
    offSwitch: z.enum(['disable', 'delete']).optional(),
    budgetMs: z.number(),
    stabilityWindowMs: z.number(),
    firstRejectionMs: z.number().optional(),
    points: z.array(point),
  }),
  z.object({
    kind: z.literal('burst'),
    expectedLimit: z.number(),
    windowSeconds: z.number(),
    firstThrottledAtCall: z.number().optional(),
    points: z.array(point),
  }),
]);

const checkResult = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
  gating: z.boolean(),
  required: z.boolean().optional(),
  destructive: z.boolean(),
  actedOn: z.string().optional(),
  verdict,
  basis: z.literal('declared').optional(),
  message: z.string(),
  expected: z.string().optional(),
  observed: z.string().optional(),
  advisories: z.array(z.string()),
  measurements: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  evidence: z.array(exchange),
  timeline: timeline.optional(),
  startedAt: z.string(),
  durationMs: z.number(),
});

const profileSummary = z.object({
  file: z.string(),
  digest: z.string(),
  keyName: z.string(),
  system: z.string(),
  environment: z.string(),
  purpose: z.string(),
  owner: z.string().optional(),
  expires: z.string().optional(),
  keyFingerprint: z.string(),
  targetOrigin: z.string(),
  targetEnvironment: z.string(),
});

const preflight = z.object({
  reachable: z.boolean(),
  keyAccepted: z.boolean().optional(),
  message: z.string(),
  evidence: z.array(exchange),
});

const cleanupRecord = z.object({
  profile: z.string(),
  check: z.string(),
  key: z.string(),
  keyId: z.string().optional(),
  subject: z.string(),
  action: z.enum(['enable', 'delete']),
  outcome: z.enum(['verified', 'unverified', 'failed']),
  detail: z.string(),
  leftState: z.string().optional(),
  restore: z.string().optional(),
});

export const runResultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  runId: z.string(),
  tool: z.object({ name: z.string(), version: z.string() }),
  operator: z.string(),
  suite: z.object({ name: z.string(), file: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  incomplete: z.boolean(),
  profiles: z.array(
    z.object({
      profile: profileSummary,
      preflight: preflight.optional(),
      checks: z.array(checkResult),
      requestsSent: z.number(),
      requestBudget: z.number(),
      notes: z.array(z.string()),
    }),
  ),
  cleanup: z.object({ complete: z.boolean(), records: z.array(cleanupRecord) }).optional(),
  requiredLeftOut: z.array(z.string()).optional(),
  verdict: z.enum(['pass', 'fail', 'error']),
  exitCode: z.number().int(),
});

export async function readResults(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([
      { file, path: '', message: `is not JSON (${(err as Error).message}); expected a results.json written by keyprobe` },
    ]);
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError([{ file, path: '', message: 'expected a results.json object written by keyprobe' }]);
  if (version !== RESULT_SCHEMA_VERSION) {
    const found = version === undefined ? 'none' : JSON.stringify(version);
    throw new ConfigError([
      {
        file,
        path: 'schemaVersion',
        message: `this keyprobe renders results of schema version ${RESULT_SCHEMA_VERSION}, the file has ${found}`,
      },
    ]);
  }
  const parsed = runResultSchema.safeParse(data);
  if (!parsed.success) {
    const problems: ConfigProblem[] = parsed.error.issues.slice(0, 20).map((i) => ({ file, path: formatPath(i.path), message: i.message }));
    throw new ConfigError(problems);
  }
  // The file as written (zod would drop fields a newer minor version added).
  return data as RunResult;
}
