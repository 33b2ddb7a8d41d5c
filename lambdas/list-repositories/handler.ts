import { listRepositoriesHandler } from '../runtime/jobs.ts';

/** Lambda: the first step of a per-repository fan-out; returns { "repositories": [...] }. */
export const handler = listRepositoriesHandler();
