import { STANDARD_JOBS } from '../../lib/standard-jobs.ts';
import { synthesizeEvidenceApp } from './evidence-app.ts';

/**
 * Run as a child process by `synthesizeStandardAppInChild`: the stack as `bin/app.ts` deploys
 * it, synthesised by the same function the other stack tests use; prints where the cloud
 * assembly is and which stack it holds, and leaves the assembly for the parent to read and
 * remove.
 */
const app = synthesizeEvidenceApp({ jobs: STANDARD_JOBS });
process.stdout.write(
  `${JSON.stringify({ directory: app.assembly.directory, stackName: app.stack.stackName })}\n`,
);
