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

/** Text split into literal parts and shell expressions that stand for secrets, for a line a reviewer can run. */
export type ShellPiece = { readonly literal: string } | { readonly expr: string };

/** The shell variable every reproduce line reads the profile's own key from. */
export const KEY_VARIABLE = 'KEY';

export class SecretRegistry {
  private readonly secrets = new Map<string, string>();
  /** How a secret is written in a reproduce line when it is derived from the key, e.g. `${KEY}x`. */
  private readonly shellForms = new Map<string, string>();
  private patterns: { form: string; replacement: string; secret: string }[] = [];

  /**
   * Registers a secret; `label` shows in redactions, e.g. "key", "canary".
   * `shell` is a POSIX shell expression that makes the secret from the
   * profile's key, e.g. `${KEY%?}` for the key cut by one character.
   */
  add(secret: string, label = 'secret', opts: { shell?: string } = {}): void {
    if (opts.shell && secret) this.shellForms.set(secret, opts.shell);
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

  /** The shell variable a reproduce line reads a secret from: KEY for the profile's key, else its label and fingerprint, e.g. CANARY_1a2b3c4d. */
  shellVariable(secret: string, primaryKey: string): string {
    if (secret === primaryKey) return KEY_VARIABLE;
    const label = (this.secrets.get(secret) ?? 'secret').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    return `${label}_${fingerprint(secret).slice('sha256:'.length)}`;
  }

  /** Every variable a reproduce line of this profile may read, with its value: for running those lines (tests, or a reviewer's own script). */
  shellVariables(primaryKey: string): Record<string, string> {
    const vars: Record<string, string> = { [KEY_VARIABLE]: primaryKey };
    for (const secret of this.secrets.keys()) if (!this.shellForms.has(secret)) vars[this.shellVariable(secret, primaryKey)] = secret;
    return vars;
  }

  /**
   * The text with every registered secret (as is, or URL-encoded) replaced by
   * the shell expression that produces it: `${KEY}` for the profile's key, the
   * derivation a check registered (`${KEY}x`), else a variable named after the
   * secret. Whatever else still holds a secret form is redacted.
   */
  shellPieces(text: string, primaryKey: string): ShellPiece[] {
    const found: { at: number; length: number; expr: string }[] = [];
    const candidates = [...new Set([primaryKey, ...this.secrets.keys()])].flatMap((secret) => {
      const expr =
        secret === primaryKey ? `\${${KEY_VARIABLE}}` : (this.shellForms.get(secret) ?? `\${${this.shellVariable(secret, primaryKey)}}`);
      // Too short to stand for a secret: it would match by accident (the redactor leaves it too).
      const forms = [secret, encodeURIComponent(secret)].filter((f) => f.length >= MIN_REDACTABLE_LENGTH);
      return [...new Set(forms)].map((form) => ({ form, expr }));
    });
    // Longest first, so a near miss that contains the key is taken whole.
    candidates.sort((a, b) => b.form.length - a.form.length);
    const taken = (at: number, length: number) => found.some((f) => at < f.at + f.length && f.at < at + length);
    for (const { form, expr } of candidates) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length))
        if (!taken(at, form.length)) found.push({ at, length: form.length, expr });
    }
    found.sort((a, b) => a.at - b.at);
    const pieces: ShellPiece[] = [];
    let from = 0;
    for (const f of found) {
      if (f.at > from) pieces.push({ literal: this.redact(text.slice(from, f.at)) });
      pieces.push({ expr: f.expr });
      from = f.at + f.length;
    }
    if (from < text.length) pieces.push({ literal: this.redact(text.slice(from)) });
    return pieces;
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
