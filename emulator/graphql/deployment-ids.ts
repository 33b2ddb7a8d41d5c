/**
 * Global node ids of deployments and the Actions runs behind them. GitHub gives an object one
 * id whichever API serves it: the REST `node_id` of a deployment, a workflow run or its check
 * suite is the GraphQL `id` a client passes to `nodes(ids:)`. Both sides of the emulator build
 * them here so they always agree.
 */
import { globalId } from './connections.ts';

export function deploymentNodeId(fullName: string, deploymentId: number): string {
  return globalId('DE', `${fullName}#${deploymentId}`);
}

export function deploymentStatusNodeId(fullName: string, deploymentId: number, index: number): string {
  return globalId('DES', `${fullName}#${deploymentId}/${index}`);
}

export function workflowRunNodeId(fullName: string, runId: number): string {
  return globalId('WFR', `${fullName}#${runId}`);
}

/** The check suite of an Actions run (one per run; its check runs are the run's jobs). */
export function runCheckSuiteNodeId(fullName: string, runId: number): string {
  return globalId('CS', `run:${fullName}#${runId}`);
}

export function runJobNodeId(fullName: string, runId: number, index: number): string {
  return globalId('CR', `run:${fullName}#${runId}/${index}`);
}
