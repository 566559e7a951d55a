// The whole detection matrix: every defect keyprobe is proven to catch, and
// the check that catches it. The README's table is rendered from this.
import { BEHAVIOUR_CASES } from './behaviour-cases.js';
import type { DetectionCase } from './case.js';
import { LIFECYCLE_CASES } from './lifecycle-cases.js';
import { REQUEST_CASES } from './request-cases.js';

export type { DetectionCase } from './case.js';

export const DETECTION_MATRIX: readonly DetectionCase[] = [...REQUEST_CASES, ...LIFECYCLE_CASES, ...BEHAVIOUR_CASES];
