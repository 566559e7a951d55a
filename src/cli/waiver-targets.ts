// The ids a waivers file may name, from the two catalogues: the audit rules
// and the checks. Resolved here, in the CLI, and handed to loadWaivers, so
// governance (which the audit uses to apply waivers) imports neither the audit
// nor the checks: no import loop between audit and governance.
import { RULES } from '../audit/rules/index.js';
import { CHECKS } from '../checks/index.js';
import type { WaiverTargets } from '../governance/waivers.js';

export const WAIVER_TARGETS: WaiverTargets = {
  rules: RULES.map((r) => r.id),
  checks: CHECKS.map((c) => c.id),
};
