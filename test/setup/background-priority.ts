// The unit project's files run at a lower CPU priority (nice 15) than the
// timing files beside them. The timing files mostly wait on protocol windows,
// but when they do need a core (a burst, a probe timed to the millisecond)
// they must get it at once, not after a unit file's CPU-bound work: the kernel
// gives a nice-0 process about thirty times the share of a nice-15 one, so the
// unit files fill the idle cores without delaying what the timing files
// measure. Child processes a unit test starts (the built CLI, npm) inherit
// the priority. Raising a priority needs privileges; lowering never does.
import { getPriority, setPriority } from 'node:os';

const BACKGROUND_NICE = 15;

if (getPriority() < BACKGROUND_NICE) setPriority(BACKGROUND_NICE);
