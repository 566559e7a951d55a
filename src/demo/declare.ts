// The demo profile, declaring the reference target's platform behaviours
// truthfully: a behaviour is not a defect, so a profile that says what the
// platform does must pass. This is the one place that turns a behaviour's
// `truthfulProfile` (src/reference/behaviours.ts, in words) into profile
// edits; `keyprobe demo --behaviour` and the detection tests both use it.
// Only what a profile can say is changed; comments and ${env:…} references
// are kept.
import { readFileSync } from 'node:fs';
import { parseDocument, type Document } from 'yaml';
import { DEMO_PROFILE } from '../paths.js';
import type { BehaviourName, BehaviourSettings } from '../reference/index.js';

/**
 * Edits the profile for one behaviour that is on (with its value); returns
 * what it now declares, in words, or undefined when there is nothing to say.
 */
type Declaration = (doc: Document, value: number | boolean) => string | undefined;

/** Added to a documented revocation lag for the budget: the probes that see the refusal land a little after it. */
const REVOCATION_CACHE_MARGIN_MS = 250;

// A Record over every name, so a new behaviour cannot be added without saying how a profile declares it.
const DECLARATIONS: Readonly<Record<BehaviourName, Declaration>> = {
  // One origin, the key selects the environment: say how to tell whose data an answer holds.
  'keys-select-environment': (doc) => {
    doc.set(
      'environmentIsolation',
      doc.createNode({
        selectedBy: 'key',
        environmentField: 'environment',
        markers: ['invoice-extractor'],
        onlyHere: 'GET /v1/agents/agt-billing',
      }),
    );
    return 'environmentIsolation (selectedBy: key, environmentField: environment, markers, onlyHere)';
  },

  // No disable or enable in the management API: only create, rotate and delete.
  'delete-only': (doc) => {
    if (!doc.hasIn(['lifecycle', 'http'])) return undefined;
    doc.deleteIn(['lifecycle', 'http', 'disable']);
    doc.deleteIn(['lifecycle', 'http', 'enable']);
    return 'lifecycle.http without disable and enable';
  },

  // A key cache refreshed every MS: the documented lag is the budget (with a margin for probing), and the wait covers it.
  'revocation-cache': (doc, value) => {
    if (!doc.hasIn(['lifecycle'])) return undefined;
    const refreshMs = value as number;
    const budget = refreshMs + REVOCATION_CACHE_MARGIN_MS;
    const wait = Math.max(5000, 4 * refreshMs);
    doc.setIn(['lifecycle', 'revocationBudgetMs'], budget);
    doc.setIn(['lifecycle', 'maxRevocationWaitMs'], wait);
    return `lifecycle.revocationBudgetMs: ${budget} and lifecycle.maxRevocationWaitMs: ${wait}`;
  },

  // A limiter per client address: say so, with its limit, so pacing covers every request and isolation is not expected.
  'client-rate-limit': (doc, value) => {
    if (!doc.hasIn(['rateLimit'])) return undefined;
    doc.setIn(['rateLimit', 'scope'], 'client');
    doc.setIn(['rateLimit', 'limit'], value);
    return `rateLimit.scope: client and rateLimit.limit: ${value}`;
  },

  // Nothing to declare: keyprobe waits out a throttled management call like any other request.
  'throttled-admin': () => undefined,
  // Nothing to declare: counts follow send order, not arrival.
  'slow-success': () => undefined,
  // Nothing to declare while rejection.statuses includes 403 (the default does): the check gives an advisory.
  'missing-key-403': () => undefined,
};

/** Edits the parsed profile in place; returns what it now declares, in words (empty: nothing to declare). */
export function declareBehaviours(doc: Document, behaviours: BehaviourSettings): string[] {
  const declared: string[] = [];
  for (const [name, value] of Object.entries(behaviours) as [BehaviourName, number | boolean | undefined][]) {
    if (value === undefined) continue;
    const words = DECLARATIONS[name](doc, value);
    if (words) declared.push(`${words} (behaviour ${name})`);
  }
  return declared;
}

/** The demo profile's text with the behaviours declared, or undefined when none needs declaring. */
export function demoProfileDeclaring(behaviours: BehaviourSettings): { text: string; declared: string[] } | undefined {
  const doc = parseDocument(readFileSync(DEMO_PROFILE, 'utf8'));
  const declared = declareBehaviours(doc, behaviours);
  return declared.length > 0 ? { text: doc.toString(), declared } : undefined;
}
