// The last line of defence for safety invariant 1: after a run has written
// its reports, every file and everything it printed is searched for every
// secret the run resolved, in every form it could take there. A hit names
// where, never what.
import { readFile } from 'node:fs/promises';
import { secretForms } from '../secrets.js';
import { esc } from './escape.js';

/** The forms of a secret to look for: secretForms plus how JSON, HTML and XML would escape it. */
export function leakForms(secret: string): string[] {
  const forms = new Set(secretForms(secret));
  for (const escaped of [
    JSON.stringify(secret).slice(1, -1),
    esc(secret),
    secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  ]) {
    if (escaped.length >= 6) forms.add(escaped);
  }
  return [...forms];
}

/** Up to this many forms, one native `includes` per form is fastest; beyond it, one indexed pass. */
const FORMS_FOR_PLAIN_SEARCH = 64;
/** Every form is at least this long (secretForms and leakForms drop shorter ones). */
const INDEX_PREFIX = 6;

export class SecretScanner {
  private readonly forms: string[];
  private readonly byPrefix = new Map<string, string[]>();
  private readonly anyNonAscii: boolean;

  constructor(secrets: readonly string[]) {
    this.forms = [...new Set(secrets.filter(Boolean).flatMap(leakForms))].filter((f) => f.length >= INDEX_PREFIX);
    for (const f of this.forms) {
      const key = f.slice(0, INDEX_PREFIX);
      this.byPrefix.set(key, [...(this.byPrefix.get(key) ?? []), f]);
    }
    this.anyNonAscii = this.forms.some((f) => /[^\x00-\x7f]/.test(f));
  }

  leaks(text: string): boolean {
    if (this.forms.length <= FORMS_FOR_PLAIN_SEARCH) return this.forms.some((f) => text.includes(f));
    // With many secrets (an audit of thousands of keys, a run of 100 profiles),
    // look each position up once instead of searching the text once per form.
    for (let i = 0; i + INDEX_PREFIX <= text.length; i++) {
      const candidates = this.byPrefix.get(text.slice(i, i + INDEX_PREFIX));
      if (candidates?.some((f) => text.startsWith(f, i))) return true;
    }
    return false;
  }

  /**
   * The files among `files` that hold a secret. Read as Latin-1, every byte is
   * one character, so ASCII forms are found in text and binary files alike;
   * only non-ASCII forms need the UTF-8 reading as well.
   */
  async scanFiles(files: readonly string[]): Promise<string[]> {
    const hits: string[] = [];
    for (const file of files) {
      const bytes = await readFile(file).catch(() => undefined);
      if (!bytes) continue;
      if (this.leaks(bytes.toString('latin1')) || (this.anyNonAscii && this.leaks(bytes.toString('utf8')))) hits.push(file);
    }
    return hits;
  }
}

/** Wraps a writable so everything written through it is also kept for the scan. */
export class OutputRecorder {
  private chunks: string[] = [];
  record(text: string): void {
    this.chunks.push(text);
  }
  text(): string {
    return this.chunks.join('');
  }
}
