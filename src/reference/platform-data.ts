// The agent platform's own data: agents, workflows and their runs, and
// resources. In memory, seeded per target, so every test starts alike.

import { randomBytes } from 'node:crypto';

export interface Agent {
  readonly id: string;
  readonly name: string;
  readonly model: string;
}

export interface Workflow {
  readonly id: string;
  readonly name: string;
}

export interface Run {
  readonly id: string;
  readonly workflowId: string;
  readonly status: 'queued';
  readonly createdAt: string;
}

export interface Call {
  readonly id: string;
  readonly agentId: string;
  readonly status: 'queued';
  readonly input: unknown;
}

export interface Resource {
  readonly id: string;
  readonly name: string;
  readonly classification: 'public' | 'internal';
}

/** Which data a route belongs to; leaky-denial leaks that collection. */
export type Collection = 'agents' | 'workflows' | 'resources';

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export class PlatformData {
  readonly agents = new Map<string, Agent>([
    ['agt-support', { id: 'agt-support', name: 'support-triage', model: 'small' }],
    ['agt-billing', { id: 'agt-billing', name: 'invoice-extractor', model: 'large' }],
  ]);
  readonly workflows = new Map<string, Workflow>([['wf-nightly', { id: 'wf-nightly', name: 'nightly-reconciliation' }]]);
  readonly runs: Run[] = [];
  readonly resources = new Map<string, Resource>([
    ['res-docs', { id: 'res-docs', name: 'res-public-docs', classification: 'public' }],
    ['res-ledger', { id: 'res-ledger', name: 'res-internal-ledger', classification: 'internal' }],
  ]);

  addAgent(name: string, model: string): Agent {
    const agent = { id: newId('agt'), name, model };
    this.agents.set(agent.id, agent);
    return agent;
  }

  newCall(agentId: string, input: unknown): Call {
    return { id: newId('call'), agentId, status: 'queued', input: input ?? null };
  }

  addRun(workflowId: string): Run {
    const run: Run = { id: newId('run'), workflowId, status: 'queued', createdAt: new Date().toISOString() };
    this.runs.push(run);
    return run;
  }

  addResource(name: string): Resource {
    const resource: Resource = { id: newId('res'), name, classification: 'internal' };
    this.resources.set(resource.id, resource);
    return resource;
  }

  /** Everything in one collection, as a leaking error page would dump it. */
  dump(collection: Collection): unknown[] {
    return [...this[collection].values()];
  }
}
