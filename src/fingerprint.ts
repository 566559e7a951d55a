// How a secret is named wherever keyprobe must refer to it: `sha256:` and the
// first 8 hex digits of its sha256, never the secret itself.
import { createHash } from 'node:crypto';

export function fingerprint(secret: string): string {
  return `sha256:${sha256Hex(secret).slice(0, 8)}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
