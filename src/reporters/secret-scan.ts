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
  for (const escaped of [JSON.stringify(secret).slice(1, -1), esc(secret), secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')]) {
    if (escaped.length >= 6) forms.add(escaped);
  }
  return [...forms];
}

export class SecretScanner {
  private readonly forms: string[];
  constructor(secrets: readonly string[]) {
    this.forms = [...new Set(secrets.filter(Boolean).flatMap(leakForms))];
  }

  leaks(text: string): boolean {
    return this.forms.some((f) => text.includes(f));
  }

  /** The files among `files` that hold a secret (read as UTF-8 and as raw bytes, for binary files). */
  async scanFiles(files: readonly string[]): Promise<string[]> {
    const hits: string[] = [];
    for (const file of files) {
      const bytes = await readFile(file).catch(() => undefined);
      if (bytes && (this.leaks(bytes.toString('utf8')) || this.leaks(bytes.toString('latin1')))) hits.push(file);
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
