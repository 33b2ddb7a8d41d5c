import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedEvidenceApp, synthesizeEvidenceApp } from './evidence-app.ts';

let synthesized: SynthesizedEvidenceApp;

beforeAll(() => {
  synthesized = synthesizeEvidenceApp();
});

afterAll(() => synthesized.dispose());

function acknowledgementsUnder(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions on the whole stack', () => {
  it('reports no finding of any severity that is not acknowledged', () => {
    const violations = synthesized.validationReport.pluginReports.flatMap((report) =>
      report.violations.map(
        (violation) => `${report.pluginName} ${violation.severity} ${violation.ruleName}`,
      ),
    );
    expect(violations).toEqual([]);
  });

  it('leaves no warning or error annotation on the stack', () => {
    expect(Annotations.fromStack(synthesized.stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(synthesized.stack).findError('*', Match.anyValue())).toEqual([]);
  });

  it('acknowledges each rule with a specific reason, on the narrowest construct', () => {
    const acknowledgements = acknowledgementsUnder(synthesized.stack);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledgements) {
      expect(id, path).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(reason.length, `${path} ${id}`).toBeGreaterThanOrEqual(60);
      // Never a blanket acknowledgement on the stack itself.
      expect(path, id).not.toBe(synthesized.stack.node.path);
    }
    // Wildcard acknowledgements name the exact finding, not the whole rule.
    for (const { id } of acknowledgements.filter((a) => a.id.includes('IAM5'))) {
      expect(id).toMatch(/IAM5\[(Resource|Action)::.+\]$/);
    }
  });

  it('is really checking: an unprotected queue added to a stack fails synthesis', () => {
    const app = new App();
    const stack = new Stack(app, 'Careless');
    new sqs.Queue(stack, 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
