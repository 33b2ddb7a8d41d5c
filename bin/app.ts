import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describeError } from '../lambdas/errors.ts';
import { parseDeploymentContext } from '../lib/config.ts';
import { EvidenceStack } from '../lib/evidence-stack.ts';
import { availableStandardJobs } from '../lib/standard-jobs.ts';

/** The CDK app: `npx cdk synth|deploy -c cm01:org=… -c cm01:stage=…` (see docs/deploy.md). */
function main(): void {
  const app = new App();
  let config: ReturnType<typeof parseDeploymentContext>;
  try {
    config = parseDeploymentContext((key) => app.node.tryGetContext(key));
  } catch (error: unknown) {
    process.stderr.write(`cm01: invalid deployment context: ${describeError(error)}\n`);
    process.exit(2);
  }

  const { jobs, missing } = availableStandardJobs();
  if (missing.length > 0) {
    // A silently missing job would leave evidence uncollected: refuse to synthesise instead.
    process.stderr.write(`cm01: handler missing for ${missing.join(', ')}\n`);
    process.exit(1);
  }

  new EvidenceStack(app, `Cm01Evidence-${config.stage}`, {
    config,
    jobs,
    description: `CM-01 change-management evidence collector for ${config.org} (${config.stage})`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

main();
