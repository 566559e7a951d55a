// The exact action that restores a key by hand, for when keyprobe's own
// cleanup could not (or could not be seen to): each adapter kind says it in
// its own terms (its definition's restoreLine: the management API request as
// a curl line, the command with the environment it expects, the manual
// step's words). Secrets never appear: the admin credential is
// `$ADMIN_TOKEN`, for the operator to set from wherever they keep it.
import { sectionOf } from './adapters.js';
import type { AdapterProfile } from './deps.js';
import type { KeyRef } from './types.js';

export function restoreInstruction(
  profile: Pick<AdapterProfile, 'target' | 'lifecycle'>,
  action: 'enable' | 'delete',
  key: KeyRef,
): string {
  const words = `${action === 'enable' ? 'Re-enable' : 'Delete'} the key "${key.name}"${key.id ? ` (id ${key.id})` : ''}`;
  const lc = profile.lifecycle;
  const { definition, section } = lc ? sectionOf(lc) : { definition: undefined, section: undefined };
  const line = section === undefined ? undefined : definition?.restoreLine?.(section, action, key, profile.target.origin);
  return line ?? `${words} in your key management console.`;
}
