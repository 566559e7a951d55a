// The demo profile, declaring the reference target's platform behaviours
// truthfully: a behaviour is not a defect, so a profile that says what the
// platform does must pass. Only what a profile can say is changed (today: a
// per-client-address limiter is rateLimit.scope: client, with its limit);
// comments and ${env:…} references are kept.
import { readFileSync } from 'node:fs';
import { parseDocument, type Document } from 'yaml';
import { DEMO_PROFILE } from '../paths.js';
import type { BehaviourSettings } from '../reference/index.js';

/** Edits the parsed profile in place; returns what it now declares, in words (empty: nothing to declare). */
export function declareBehaviours(doc: Document, behaviours: BehaviourSettings): string[] {
  const declared: string[] = [];
  const perClient = behaviours['client-rate-limit'];
  if (perClient !== undefined && doc.hasIn(['rateLimit'])) {
    doc.setIn(['rateLimit', 'scope'], 'client');
    doc.setIn(['rateLimit', 'limit'], perClient);
    declared.push(`rateLimit.scope: client and rateLimit.limit: ${perClient} (behaviour client-rate-limit)`);
  }
  return declared;
}

/** The demo profile's text with the behaviours declared, or undefined when none needs declaring. */
export function demoProfileDeclaring(behaviours: BehaviourSettings): { text: string; declared: string[] } | undefined {
  const doc = parseDocument(readFileSync(DEMO_PROFILE, 'utf8'));
  const declared = declareBehaviours(doc, behaviours);
  return declared.length > 0 ? { text: doc.toString(), declared } : undefined;
}
