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
  readonly agents: Map<string, Agent>;
  readonly workflows = new Map<string, Workflow>([['wf-nightly', { id: 'wf-nightly', name: 'nightly-reconciliation' }]]);
  readonly runs: Run[] = [];
  readonly resources: Map<string, Resource>;

  /**
   * `primary`: the environment the target serves, seeded as documented. Any
   * other environment (served only under keys-select-environment) shares the
   * support agent and the public docs but has its own sandbox agent instead of
   * the billing agent and the ledger, so whose data an answer holds shows.
   */
  constructor(
    readonly environment: string,
    primary = true,
  ) {
    const support: Agent = { id: 'agt-support', name: 'support-triage', model: 'small' };
    const docs: Resource = { id: 'res-docs', name: 'res-public-docs', classification: 'public' };
    this.agents = new Map(
      primary
        ? [
            ['agt-support', support],
            ['agt-billing', { id: 'agt-billing', name: 'invoice-extractor', model: 'large' }],
          ]
        : [
            ['agt-support', support],
            [`agt-${environment}-sandbox`, { id: `agt-${environment}-sandbox`, name: `${environment}-sandbox-agent`, model: 'small' }],
          ],
    );
    this.resources = new Map(
      primary
        ? [
            ['res-docs', docs],
            ['res-ledger', { id: 'res-ledger', name: 'res-internal-ledger', classification: 'internal' }],
          ]
        : [['res-docs', docs]],
    );
  }

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
