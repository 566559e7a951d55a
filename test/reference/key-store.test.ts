// The reference target's key store finds live keys and tombstones (deleted keys,
// remembered for a data plane that hears of a delete late) by the digest of the
// presented secret; the faulty comparisons (prefix, lower case) still compare
// with every stored credential, as such bugs do.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyStore } from '../../src/reference/keys.js';

const store = () => new KeyStore('prod');
const create = (keys: KeyStore, name: string) => keys.create({ name, scopes: ['agents:read'] });

afterEach(() => {
  vi.useRealTimers();
});

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
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T08:00:00Z'));
    const keys = store();
    const old = create(keys, 'crm-prod-old');
    const recent = create(keys, 'crm-prod-recent');
    const later = create(keys, 'crm-prod-later');
    keys.delete(old.id);
    vi.setSystemTime(new Date('2026-11-30T08:10:00Z'));
    keys.delete(recent.id);
    vi.setSystemTime(new Date('2026-11-30T08:16:00Z'));
    keys.delete(later.id);
    expect(keys.matchDeleted(old.secret)).toBeUndefined();
    expect(keys.matchDeleted(recent.secret)?.key.id).toBe(recent.id);
    expect(keys.matchDeleted(later.secret)?.key.id).toBe(later.id);
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
