// The management API (/admin): keys, faults, behaviours and counters, behind its own
// bearer token. It is what keyprobe's `http` lifecycle adapter drives, so its
// errors are plain JSON with a code, never a crash.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BehaviourError, BEHAVIOUR_NAMES } from './behaviours.js';
import { FaultError, FAULT_NAMES } from './faults.js';
import { isPlainObject, parseAuthorization, readJson, sendEmpty, sendError, sendJson } from './http-util.js';
import { KeyInputError, sha256, viewOf } from './keys.js';
import { pageOf, pageRequest } from './paging.js';
import type { TargetState } from './state.js';

export const ADMIN_REALM = 'keyprobe-reference-admin';

/** Compares digests, so neither length nor content leaks through timing. */
export function adminTokenMatches(req: IncomingMessage, adminToken: string): boolean {
  const header = parseAuthorization(req);
  if (header.kind !== 'bearer') return false;
  return timingSafeEqual(sha256(header.token), sha256(adminToken));
}

function faultsBody(state: TargetState): unknown {
  return { faults: state.faults.snapshot(), available: FAULT_NAMES };
}

function behavioursBody(state: TargetState): unknown {
  return { behaviours: state.behaviours.snapshot(), available: BEHAVIOUR_NAMES };
}

async function setBehaviour(req: IncomingMessage, res: ServerResponse, state: TargetState, name: string): Promise<void> {
  const body = await readJson(req);
  if (body !== undefined && !isPlainObject(body)) return sendError(res, 400, 'invalid_request', 'The body must be a JSON object {value?}.');
  state.behaviours.set(name, body?.value);
  sendJson(res, 200, behavioursBody(state));
}

/** GET /admin/keys: the whole list, or with ?limit=N one page of it (see paging.ts). */
function listKeys(res: ServerResponse, url: URL, state: TargetState): void {
  const all = state.keys.list();
  const page = pageRequest(url);
  if (page === undefined) sendJson(res, 200, { keys: all.map(viewOf) });
  else if ('error' in page) sendError(res, 400, 'invalid_request', page.error);
  else {
    const { items, nextCursor, link } = pageOf(all, page, url.pathname);
    sendJson(res, 200, { keys: items.map(viewOf), nextCursor }, link ? { Link: link } : {});
  }
}

function keyNotFound(res: ServerResponse, id: string): void {
  sendError(res, 404, 'key_not_found', `No key with id "${id}".`);
}

async function rotate(req: IncomingMessage, res: ServerResponse, state: TargetState, id: string): Promise<void> {
  const body = await readJson(req);
  const grace = isPlainObject(body) ? body.gracePeriodSeconds : undefined;
  if (grace !== undefined && (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0)) {
    return sendError(res, 400, 'invalid_request', '"gracePeriodSeconds" must be a number of seconds, 0 or more.');
  }
  const rotated = state.keys.rotate(id, grace);
  if (rotated) sendJson(res, 200, rotated);
  else keyNotFound(res, id);
}

async function setFault(req: IncomingMessage, res: ServerResponse, state: TargetState, name: string): Promise<void> {
  const body = await readJson(req);
  if (body !== undefined && !isPlainObject(body)) return sendError(res, 400, 'invalid_request', 'The body must be a JSON object {value?}.');
  state.faults.set(name, body?.value);
  sendJson(res, 200, faultsBody(state));
}

/** Answers one /admin request; the caller has already checked that the path is under /admin. */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  state: TargetState,
  adminToken: string,
): Promise<void> {
  if (!adminTokenMatches(req, adminToken)) {
    return sendError(res, 401, 'invalid_admin_token', 'The management API needs "Authorization: Bearer <admin token>".', {
      'WWW-Authenticate': `Bearer realm="${ADMIN_REALM}"`,
    });
  }
  const { keys } = state;
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').slice(2).map(decodeURIComponent); // after "", "admin"
  const [resource, id, action, ...rest] = parts;

  try {
    if (resource === 'keys' && rest.length === 0) {
      if (id === undefined) {
        if (method === 'POST') return sendJson(res, 201, keys.create(await readJson(req)));
        if (method === 'GET') return listKeys(res, url, state);
      } else if (action === undefined) {
        if (method === 'GET') {
          const key = keys.get(id);
          return key ? sendJson(res, 200, viewOf(key)) : keyNotFound(res, id);
        }
        if (method === 'DELETE') return keys.delete(id) ? sendEmpty(res, 204) : keyNotFound(res, id);
      } else if (method === 'POST' && (action === 'disable' || action === 'enable') && !state.behaviours.has('delete-only')) {
        const key = action === 'disable' ? keys.disable(id) : keys.enable(id);
        return key ? sendJson(res, 200, viewOf(key)) : keyNotFound(res, id);
      } else if (method === 'POST' && action === 'rotate') {
        return await rotate(req, res, state, id);
      }
    } else if (resource === 'faults' && action === undefined) {
      if (id === undefined) {
        if (method === 'GET') return sendJson(res, 200, faultsBody(state));
        if (method === 'DELETE') {
          state.faults.clear();
          return sendJson(res, 200, faultsBody(state));
        }
      } else {
        if (method === 'PUT') return await setFault(req, res, state, id);
        if (method === 'DELETE') {
          state.faults.clear(id);
          return sendJson(res, 200, faultsBody(state));
        }
      }
    } else if (resource === 'behaviours' && action === undefined) {
      if (id === undefined) {
        if (method === 'GET') return sendJson(res, 200, behavioursBody(state));
        if (method === 'DELETE') {
          state.behaviours.clear();
          return sendJson(res, 200, behavioursBody(state));
        }
      } else {
        if (method === 'PUT') return await setBehaviour(req, res, state, id);
        if (method === 'DELETE') {
          state.behaviours.clear(id);
          return sendJson(res, 200, behavioursBody(state));
        }
      }
    } else if (resource === 'stats' && id === undefined) {
      if (method === 'GET') return sendJson(res, 200, state.stats.snapshot());
      if (method === 'DELETE') {
        state.stats.reset();
        return sendEmpty(res, 204);
      }
    }
  } catch (error) {
    if (error instanceof KeyInputError || error instanceof FaultError || error instanceof BehaviourError) {
      const code =
        error instanceof FaultError ? 'invalid_fault' : error instanceof BehaviourError ? 'invalid_behaviour' : 'invalid_request';
      return sendError(res, 400, code, error.message);
    }
    throw error;
  }
  sendError(res, 404, 'not_found', `No management route ${method} ${url.pathname}.`);
}
