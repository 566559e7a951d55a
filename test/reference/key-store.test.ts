// The reference target's key store finds live keys and tombstones (deleted keys,
// remembered for a data plane that hears of a delete late) by the digest of the
// presented secret; the faulty comparisons (prefix, lower case) still compare
// with every stored credential, as such bugs do.

import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../src/reference/keys.js';
import { later, stillClock } from './helpers.js';

const store = () => new KeyStore('prod');
const create = (keys: KeyStore, name: string) => keys.create({ name, scopes: ['agents:read'] });

describe('KeyStore tombstones', () => {
  it('a deleted key is no longer matched but is found among the deleted, with the moment of deletion', () => {
    const keys = store();
    const kept = create(keys, 'crm-prod-kept');
    const gone = create(keys, 'crm-prod-gone');
    const before = Date.now();
    expect(keys.delete(gone.id)).toBe(true);
    expect(keys.match(gone.secret)).toBeUndefined();
    const found = keys.matchDeleted(gone.secret);
    expect(found?.key.id).toBe(gone.id);
    expect(found?.deletedAt).toBeGreaterThanOrEqual(before);
    expect(found?.deletedAt).toBeLessThanOrEqual(Date.now());
    // A live key is not a tombstone, and a secret nobody holds is neither.
    expect(keys.matchDeleted(kept.secret)).toBeUndefined();
    expect(keys.match(kept.secret)?.key.id).toBe(kept.id);
    expect(keys.matchDeleted(`${gone.secret}x`)).toBeUndefined();
  });

  it('every secret a deleted key had is found: the current one and those it was rotated away from', () => {
    const keys = store();
    const key = create(keys, 'crm-prod-rotated');
    const rotated = keys.rotate(key.id, 60);
    expect(rotated).toBeDefined();
    keys.delete(key.id);
    for (const secret of [key.secret, rotated!.secret]) {
      const found = keys.matchDeleted(secret);
      expect(found?.key.id).toBe(key.id);
      expect(found?.credential).toBe(secret === key.secret ? found?.key.previous[0] : found?.key.current);
    }
  });

  it('a tombstone is forgotten 15 minutes after the delete, when the next delete comes', () => {
    stillClock();
    const keys = store();
    const old = create(keys, 'crm-prod-old');
    const recent = create(keys, 'crm-prod-recent');
    const last = create(keys, 'crm-prod-last');
    keys.delete(old.id);
    later(10 * 60_000);
    keys.delete(recent.id);
    later(6 * 60_000);
    keys.delete(last.id);
    expect(keys.matchDeleted(old.secret)).toBeUndefined();
    expect(keys.matchDeleted(recent.secret)?.key.id).toBe(recent.id);
    expect(keys.matchDeleted(last.secret)?.key.id).toBe(last.id);
  });

  it('the faulty comparisons still find tombstones: a lower-cased secret under case-insensitive-keys, a prefix under prefix-match', () => {
    const keys = store();
    const gone = create(keys, 'crm-prod-gone');
    keys.delete(gone.id);
    expect(keys.matchDeleted(gone.secret.toUpperCase())).toBeUndefined();
    expect(keys.matchDeleted(gone.secret.toUpperCase(), { caseInsensitive: true })?.key.id).toBe(gone.id);
    const prefix = gone.secret.slice(0, 12);
    expect(keys.matchDeleted(`${prefix}zzz`, { prefixLength: 12 })?.key.id).toBe(gone.id);
  });
});
