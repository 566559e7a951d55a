// Every secret keyprobe knows goes through here: keys show as a fingerprint
// (`sha256:` + 8 hex), and text is redacted before it is stored or printed.
import { createHash } from 'node:crypto';

export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;
}

/** Shorter secrets than this are not redacted inside other text: they would match by accident. */
const MIN_REDACTABLE_LENGTH = 6;

/**
 * The forms in which a secret can show up in text: as is, URL-encoded,
 * base64 (at each of the three byte alignments, so it is found inside a
 * larger blob such as `Basic base64(user:secret)`), and its sha256 hex.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), createHash('sha256').update(secret).digest('hex')]);
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.from('\0'.repeat(pad) + secret).toString('base64');
    // Drop the characters touched by the padding bytes and by the final partial group.
    const start = pad === 0 ? 0 : Math.ceil((pad * 4) / 3);
    const core = b64.replace(/=+$/, '').slice(start, -2 || undefined);
    if (core.length >= MIN_REDACTABLE_LENGTH) {
      forms.add(core);
      forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms].filter((f) => f.length >= MIN_REDACTABLE_LENGTH);
}

export class SecretRegistry {
  private readonly secrets = new Map<string, string>();
  private patterns: { form: string; replacement: string; secret: string }[] = [];

  /** Registers a secret; `label` shows in redactions, e.g. "key", "canary". */
  add(secret: string, label = 'secret'): void {
    if (!secret || this.secrets.has(secret)) return;
    this.secrets.set(secret, label);
    const replacement = `[${label} ${fingerprint(secret)}]`;
    for (const form of secretForms(secret)) this.patterns.push({ form, replacement, secret });
    // Longest first, so a secret is replaced before any of its substrings (near-miss variants).
    this.patterns.sort((a, b) => b.form.length - a.form.length);
  }

  has(secret: string): boolean {
    return this.secrets.has(secret);
  }

  all(): string[] {
    return [...this.secrets.keys()];
  }

  redact(text: string): string {
    let out = text;
    for (const { form, replacement } of this.patterns) {
      if (out.includes(form)) out = out.split(form).join(replacement);
    }
    return out;
  }

  /** True when the text holds any form of any registered secret. */
  leaks(text: string): boolean {
    return this.patterns.some(({ form }) => text.includes(form));
  }

  /** The registered secrets any form of which the text holds (forms computed once, at add). */
  secretsIn(text: string): string[] {
    return [...new Set(this.patterns.filter(({ form }) => text.includes(form)).map(({ secret }) => secret))];
  }
}
