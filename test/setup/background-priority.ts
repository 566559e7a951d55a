// The unit project's files run at a lower CPU priority (5 nice steps) than
// the timing files beside them. The timing files mostly wait on protocol windows,
// but when they do need a core (a burst, a probe timed to the millisecond)
// they get the larger share: the kernel gives a nice-0 process about three
// times the share of a nice-5 one. Not lower: at 15 steps (a thirtieth) a
// unit file's CLI was starved past its 10 s hang detector while a timing file
// spawned its own (seen once in six CI runs). Child processes a unit test
// starts (the built CLI, npm) inherit the priority. Raising a priority needs
// privileges; lowering never does.
import { getPriority, setPriority } from 'node:os';

/** How much lower than the run itself (nice values run from -20 to 19). */
const LOWER_BY = 5;

setPriority(Math.min(19, getPriority() + LOWER_BY));
