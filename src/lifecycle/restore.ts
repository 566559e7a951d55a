// The exact action that restores a key by hand, for when keyprobe's own
// cleanup could not (or could not be seen to): the management API request as a
// curl line, the adapter's command with the environment it expects, or the
// manual step's words. Secrets never appear: the admin credential is
// `$ADMIN_TOKEN`, for the operator to set from wherever they keep it.
import type { AdapterProfile } from './deps.js';
import { fillBody } from './http.js';
import { fillText, placeholderValues, type KeyRef } from './types.js';

/** The shell variable a restore line reads the management credential from. */
export const ADMIN_TOKEN_VARIABLE = 'ADMIN_TOKEN';

export function restoreInstruction(
  profile: Pick<AdapterProfile, 'target' | 'lifecycle'>,
  action: 'enable' | 'delete',
  key: KeyRef,
): string {
  const lc = profile.lifecycle;
  const words = `${action === 'enable' ? 'Re-enable' : 'Delete'} the key "${key.name}"${key.id ? ` (id ${key.id})` : ''}`;
  if (lc?.adapter === 'http' && lc.http?.[action] && (key.id || !lc.http[action]!.path.includes('{{id}}'))) {
    const t = lc.http[action]!;
    const values = placeholderValues(key);
    const origin = lc.http.origin ?? profile.target.origin;
    const parts = ['curl', '-sS', '-i', '-X', t.method, sq(`${origin}${fillText(t.path, values, encodeURIComponent)}`)];
    const cred = lc.http.credential;
    if (cred) parts.push('-H', `"${dq(`${cred.header}: ${cred.scheme ? `${cred.scheme} ` : ''}`)}$${ADMIN_TOKEN_VARIABLE}"`);
    for (const [k, v] of Object.entries(t.headers ?? {})) parts.push('-H', sq(`${k}: ${fillText(v, values)}`));
    if (t.body !== undefined)
      parts.push('-H', sq('content-type: application/json'), '--data', sq(JSON.stringify(fillBody(t.body, values))));
    // A signature is over one moment's request: the operator's own tooling must make it.
    const unsigned = lc.http.signer ? `  # unsigned: add the ${lc.http.signer.kind} signature headers first (docs/lifecycle.md)` : '';
    return parts.join(' ') + unsigned;
  }
  if (lc?.adapter === 'command' && lc.command?.[action]) {
    const env = [
      `KEYPROBE_ACTION=${sq(action)}`,
      `KEYPROBE_KEY_NAME=${sq(key.name)}`,
      ...(key.id ? [`KEYPROBE_KEY_ID=${sq(key.id)}`] : []),
      `KEYPROBE_TARGET=${sq(profile.target.origin)}`,
    ];
    return `${env.join(' ')} sh -c ${sq(lc.command[action]!)}`;
  }
  if (lc?.adapter === 'manual') {
    const text = lc.manual?.[action];
    return text ? fillText(text, { ...placeholderValues(key) }) : `${words} in your key management console.`;
  }
  return `${words} in your key management console.`;
}

/** Single-quoted for a POSIX shell: nothing inside expands. */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Escaped for the inside of double quotes, so only the variable appended after it expands. */
function dq(s: string): string {
  return s.replace(/(["\\`$])/g, '\\$1');
}
