// The unit project's files run at a lower CPU priority (15 nice steps) than
// the timing files beside them. The timing files mostly wait on protocol windows,
// but when they do need a core (a burst, a probe timed to the millisecond)
// they must get it at once, not after a unit file's CPU-bound work: the kernel
// gives a nice-0 process about thirty times the share of a nice-15 one, so the
// unit files fill the idle cores without delaying what the timing files
// measure. Child processes a unit test starts (the built CLI, npm) inherit
// the priority. Raising a priority needs privileges; lowering never does.
import { getPriority, setPriority } from 'node:os';

/** How much lower than the run itself (nice values run from -20 to 19). */
const LOWER_BY = 15;

setPriority(Math.min(19, getPriority() + LOWER_BY));
