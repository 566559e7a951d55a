// Every key needs a person who answers for it and an end date. A key without
// an owner cannot be rotated in an incident; a key without expiry (or with a
// lifetime of years) outlives the people who knew about it.
import { defineCheck, noParams } from './check.js';
import { introspect } from './introspection.js';

const DAY_MS = 86_400_000;

export default defineCheck({
  id: 'governance.owner-and-expiry',
  title: 'The key has an owner and an expiry within the maximum lifetime',
  description:
    'The key must declare an owner (one of governance.custodians when that list is set) and an expiry that lies in the future and within governance.maxLifetimeDays of its creation. Declared values come first, introspected ones fill gaps. Rotation due within governance.rotationWarningDays is flagged as an advisory.',
  severity: 'medium',
  practice: 'Rotation and reclamation',
  destructive: false,
  phase: 'request',
  params: noParams,
  async run(ctx) {
    const { key, governance } = ctx.profile;
    const problems: string[] = [];
    const advisories: string[] = [];
    const measurements: Record<string, number | string> = {
      maxLifetimeDays: governance.maxLifetimeDays,
      rotationWarningDays: governance.rotationWarningDays,
    };

    const intro = await introspect(ctx.http, ctx.profile);
    const platform = intro?.ok ? intro.data : undefined;
    if (intro && !intro.ok) advisories.push(`introspection was not usable (${intro.why}); only declared values were checked`);

    const owner = key.owner ?? platform?.owner;
    if (!owner) problems.push('no owner is declared (key.owner) or known to the platform');
    else {
      measurements.owner = owner;
      if (!key.owner) advisories.push(`the owner ${owner} comes from introspection; declare it as key.owner`);
      if (governance.custodians.length > 0 && !governance.custodians.includes(owner))
        problems.push(`the owner ${owner} is not one of the custodians (${governance.custodians.join(', ')})`);
    }

    const now = Date.now();
    const created = key.created
      ? { at: Date.parse(key.created), source: 'key.created' }
      : platform?.createdAt && !Number.isNaN(Date.parse(platform.createdAt))
        ? { at: Date.parse(platform.createdAt), source: 'the introspected createdAt' }
        : { at: now, source: 'today (the creation date is unknown)' };
    const expires = key.expires
      ? { at: Date.parse(key.expires), source: 'key.expires', text: key.expires }
      : platform?.expiresAt && !Number.isNaN(Date.parse(platform.expiresAt))
        ? { at: Date.parse(platform.expiresAt), source: 'the introspected expiresAt', text: platform.expiresAt }
        : undefined;
    measurements.lifetimeMeasuredFrom = created.source;

    if (!expires) problems.push('no expiry is declared (key.expires) or known to the platform: the key would live forever');
    else {
      const daysLeft = Math.floor((expires.at - now) / DAY_MS);
      const lifetimeDays = Math.ceil((expires.at - created.at) / DAY_MS);
      measurements.expires = new Date(expires.at).toISOString();
      measurements.daysToExpiry = daysLeft;
      measurements.lifetimeDays = lifetimeDays;
      if (expires.at <= now) problems.push(`it expired on ${expires.text} (${expires.source})`);
      else {
        if (lifetimeDays > governance.maxLifetimeDays)
          problems.push(
            `it expires ${lifetimeDays} days after ${created.source}, beyond the maximum lifetime of ${governance.maxLifetimeDays} days (${expires.source})`,
          );
        if (daysLeft <= governance.rotationWarningDays)
          advisories.push(
            `rotation is due: the key expires in ${daysLeft} days (within the ${governance.rotationWarningDays}-day warning)`,
          );
      }
      if (key.expires && platform?.expiresAt && Math.abs(Date.parse(platform.expiresAt) - expires.at) > DAY_MS)
        advisories.push(`the declared expiry ${key.expires} differs from the platform's ${platform.expiresAt}`);
    }

    const expected = `an owner${governance.custodians.length > 0 ? ' among the custodians' : ''}, and an expiry in the future within ${governance.maxLifetimeDays} days of creation`;
    if (problems.length > 0)
      return {
        verdict: 'fail',
        message: `expected ${expected}; ${problems.join('; ')}`,
        expected,
        observed: problems.join('; '),
        advisories,
        measurements,
      };
    return {
      verdict: 'pass',
      message: `owned by ${owner}; expires in ${measurements.daysToExpiry} days (${expires!.source}), ${measurements.lifetimeDays} days after ${created.source}, within the ${governance.maxLifetimeDays}-day maximum`,
      expected,
      advisories,
      measurements,
      // Without introspection the owner and the dates are the profile's word only.
      ...(platform ? {} : { basis: 'declared' as const }),
    };
  },
});
