// The redactor's forms of every secret (secrets.ts), held compactly (issue
// #15): a secret has about 30 forms (2.6 KB of text for a 40-character key),
// and a thousand profiles register more than ten thousand secrets. A form is
// four numbers in a typed array (which secret, which writer wrote it, its
// length, the shortest run of it that counts); its text is written again from
// the secret when a search needs it (a window of a text hashed like one of
// the form's), and the texts in use are remembered, a bounded number at once.

const ENTRY = 0;
const WRITER = 1;
const LENGTH = 2;
const MIN = 3;
/** Numbers a form takes in `fields`. */
const FIELDS = 4;

/**
 * Form texts remembered at once (then forgotten all together). The forms a
 * run meets again and again are those of the keys its profiles are sending
 * (the key as is in every request, URL-encoded in a query…): a few a
 * profile, a few hundred profiles at once.
 */
const REMEMBERED_FORMS = 8192;

/** One form of a secret as the registry adds it. */
export interface NewForm {
  /** The form, folded. */
  readonly folded: string;
  /** The shortest run of it that is replaced (its length for whole-only forms). */
  readonly min: number;
  /** Which writer wrote it (FormTable's `write`). */
  readonly writer: number;
}

/** A form's text again: folded, and as written (letter case and separators kept; the same string where folding changes nothing). */
export interface FormText {
  readonly folded: string;
  readonly exact: string;
}

export class FormTable {
  /** Per secret (its entry): the secret, to write its forms from. */
  private readonly secrets: string[] = [];
  private fields = new Int32Array(FIELDS * 256);
  private readonly remembered = new Map<number, FormText>();
  private count = 0;

  /**
   * `write` writes a form of a secret again from the secret and the form's
   * writer number, exactly as it was written when the secret was added.
   */
  constructor(private readonly write: (secret: string, writer: number) => FormText) {}

  /** How many forms are held. */
  get size(): number {
    return this.count;
  }

  /** Adds the forms of the secret numbered `entry` (one call a secret, in entry order); returns the first form's number. */
  add(entry: number, secret: string, forms: readonly NewForm[]): number {
    if (entry !== this.secrets.length) throw new Error(`forms of secret ${entry} added out of order`);
    this.secrets.push(secret);
    const firstForm = this.count;
    for (const form of forms) {
      if (FIELDS * (this.count + 1) > this.fields.length) {
        const grown = new Int32Array(this.fields.length * 2);
        grown.set(this.fields);
        this.fields = grown;
      }
      const at = FIELDS * this.count;
      this.fields[at + ENTRY] = entry;
      this.fields[at + WRITER] = form.writer;
      this.fields[at + LENGTH] = form.folded.length;
      this.fields[at + MIN] = form.min;
      this.count++;
    }
    return firstForm;
  }

  /** The secret (its entry) a form belongs to. */
  entry(form: number): number {
    return this.fields[FIELDS * form + ENTRY]!;
  }

  /** The number of the writer that wrote a form (0: the secret as it is). */
  writer(form: number): number {
    return this.fields[FIELDS * form + WRITER]!;
  }

  length(form: number): number {
    return this.fields[FIELDS * form + LENGTH]!;
  }

  min(form: number): number {
    return this.fields[FIELDS * form + MIN]!;
  }

  /** The form's text, written again from its secret (or remembered from the last time). */
  text(form: number): FormText {
    const known = this.remembered.get(form);
    if (known !== undefined) return known;
    const at = FIELDS * form;
    const text = this.write(this.secrets[this.fields[at + ENTRY]!]!, this.fields[at + WRITER]!);
    if (text.folded.length !== this.fields[at + LENGTH]) throw new Error(`form ${form} was written again differently`);
    if (this.remembered.size >= REMEMBERED_FORMS) this.remembered.clear();
    this.remembered.set(form, text);
    return text;
  }
}
