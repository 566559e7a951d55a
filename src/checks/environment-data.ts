// Whose data did an answer hold? Where one origin serves several environments
// and the key selects which (Unleash tokens, Stripe sk_test_/sk_live_), a key
// of another environment may be served; what must not happen is that it sees
// this environment's data. The profile says how to tell
// (environmentIsolation: environmentField, markers, onlyHere). Each signal is
// first established with this environment's own key — a marker that is not
// in this environment's data, or a field it does not carry, would prove
// nothing by its absence — and then read from what the foreign key got.
import type { EnvironmentIsolation, ProbeRequest, Profile } from '../config/profile-schema.js';
import type { Credential, HttpResponse } from '../http/client.js';
import type { CheckContext } from './check.js';
import { probeResource } from './credentials.js';
import { isSuccess, statusText } from './describe.js';
import { field } from './introspection.js';
import { isServerError } from './server-errors.js';

/** What one signal says about a foreign key's answer. */
export interface DataSignal {
  /** here: this environment's data (a fail) · own: not this environment's · unknown: cannot tell. */
  readonly kind: 'here' | 'own' | 'unknown';
  readonly words: string;
}

/** What this environment's own key is served: the reference the foreign answers are compared with. */
export interface OwnData {
  /** The environment field's value for this environment's own key. */
  readonly fieldValue?: string;
}

export type Baseline = { readonly ok: true; readonly own: OwnData } | { readonly ok: false; readonly why: string };

/** The request whose answer shows whose data it is: environmentIsolation.probe, else the first allowed GET. */
export function isolationProbe(profile: Profile): ProbeRequest {
  const iso = profile.environmentIsolation;
  if (iso?.probe) return iso.probe;
  const r = probeResource(profile);
  return { method: r.method, path: r.path, body: r.body, headers: r.headers };
}

function send(ctx: CheckContext, label: string, r: ProbeRequest, credential?: Credential): Promise<HttpResponse> {
  return ctx.http.send({ label, method: r.method, path: r.path, body: r.body, headers: r.headers, ...(credential ? { credential } : {}) });
}

function fieldText(body: string, path: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const v = field(json, path);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** Establishes every signal with this environment's own key; says why not when one cannot tell anything. */
export async function ownBaseline(ctx: CheckContext, iso: EnvironmentIsolation): Promise<Baseline> {
  const probe = isolationProbe(ctx.profile);
  const where = `${probe.method} ${probe.path}`;
  const res = await send(ctx, `control, this environment's own key: ${where}`, probe);
  if (!isSuccess(res))
    return {
      ok: false,
      why: `this environment's own key answered ${statusText(res.status)} on ${where}, so there is nothing to compare with`,
    };
  let fieldValue: string | undefined;
  if (iso.environmentField) {
    fieldValue = fieldText(res.body, iso.environmentField);
    if (fieldValue === undefined)
      return {
        ok: false,
        why: `what this environment's own key is served on ${where} has no value at "${iso.environmentField}" (environmentIsolation.environmentField), so that field cannot tell environments apart`,
      };
  }
  const absent = iso.markers.filter((m) => !res.body.includes(m));
  if (absent.length > 0)
    return {
      ok: false,
      why: `marker${absent.length === 1 ? '' : 's'} ${absent.map((m) => `"${m}"`).join(', ')} ${absent.length === 1 ? 'does' : 'do'} not appear in what this environment's own key is served on ${where}, so ${absent.length === 1 ? 'its' : 'their'} absence elsewhere would prove nothing`,
    };
  if (iso.onlyHere) {
    const here = await send(ctx, `control, this environment's own key: ${iso.onlyHere.method} ${iso.onlyHere.path}`, iso.onlyHere);
    if (!isSuccess(here))
      return {
        ok: false,
        why: `${iso.onlyHere.method} ${iso.onlyHere.path} (environmentIsolation.onlyHere) answered ${statusText(here.status)} for this environment's own key, so a refusal there would prove nothing`,
      };
  }
  return { ok: true, own: { ...(fieldValue !== undefined ? { fieldValue } : {}) } };
}

/** Reads every signal from what a foreign key was served on the probe (a 2xx answer), asking onlyHere too. */
export async function judgeServedData(
  ctx: CheckContext,
  iso: EnvironmentIsolation,
  own: OwnData,
  served: HttpResponse,
  foreign: { readonly label: string; readonly credential: Credential },
): Promise<DataSignal[]> {
  const signals: DataSignal[] = [];
  if (iso.environmentField) {
    const v = fieldText(served.body, iso.environmentField);
    if (v === undefined) signals.push({ kind: 'unknown', words: `its answer has no value at "${iso.environmentField}"` });
    else if (v === own.fieldValue)
      signals.push({ kind: 'here', words: `${iso.environmentField} is "${v}", as for this environment's own key` });
    else signals.push({ kind: 'own', words: `${iso.environmentField} is "${v}", not "${own.fieldValue}"` });
  }
  if (iso.markers.length > 0) {
    const seen = iso.markers.filter((m) => served.body.includes(m));
    signals.push(
      seen.length > 0
        ? {
            kind: 'here',
            words: `this environment's marker${seen.length === 1 ? '' : 's'} ${seen.map((m) => `"${m}"`).join(', ')} appear${seen.length === 1 ? 's' : ''} in it`,
          }
        : {
            kind: 'own',
            words:
              iso.markers.length === 1
                ? `this environment's marker "${iso.markers[0]}" does not appear in it`
                : `none of this environment's ${iso.markers.length} markers appears in it`,
          },
    );
  }
  if (iso.onlyHere) {
    const where = `${iso.onlyHere.method} ${iso.onlyHere.path}`;
    const res = await send(ctx, `${foreign.label}: ${where} (only in this environment)`, iso.onlyHere, foreign.credential);
    if (isSuccess(res))
      signals.push({ kind: 'here', words: `${where}, which exists only in this environment, answered ${statusText(res.status)}` });
    else if (isServerError(res.status)) signals.push({ kind: 'unknown', words: `${where} answered ${statusText(res.status)}` });
    else signals.push({ kind: 'own', words: `${where}, which exists only in this environment, answered ${statusText(res.status)}` });
  }
  return signals;
}
