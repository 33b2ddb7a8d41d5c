import type { CfnResourceJson } from './evidence-app.ts';

/**
 * A small, deliberately conservative reading of the IAM documents in a template, so tests can
 * ask "may this role do that on this resource" for every policy rather than spot-check one.
 * CloudFormation intrinsics become readable placeholders: `{ Fn::GetAtt: [X, Arn] }` →
 * `<X.Arn>`, `{ Ref: X }` → `<X>`, `Fn::Join` concatenates.
 */

export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  readonly sid?: string;
  /** Where the statement came from, for failure messages. */
  readonly source: string;
}

export function resolveIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Ref' in record) return `<${String(record.Ref)}>`;
    if ('Fn::GetAtt' in record) {
      const [id, attribute] = record['Fn::GetAtt'] as [string, string];
      return `<${id}.${attribute}>`;
    }
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(resolveIntrinsic).join(separator);
    }
  }
  throw new Error(`cannot read intrinsic ${JSON.stringify(value)}`);
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function statementsOf(document: unknown, source: string): Statement[] {
  const statements = list((document as { Statement?: unknown }).Statement);
  return statements.map((raw) => {
    const statement = raw as Record<string, unknown>;
    if ('NotAction' in statement || 'NotResource' in statement) {
      throw new Error(`${source}: NotAction/NotResource are not expected in this stack`);
    }
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const [operator, entries] of Object.entries(
      (statement.Condition ?? {}) as Record<string, unknown>,
    )) {
      conditions[operator] = {};
      for (const [key, values] of Object.entries(entries as Record<string, unknown>)) {
        conditions[operator][key] = list(values).map(resolveIntrinsic);
      }
    }
    return {
      effect: statement.Effect as 'Allow' | 'Deny',
      actions: list(statement.Action).map(resolveIntrinsic),
      resources: list(statement.Resource).map(resolveIntrinsic),
      conditions,
      sid: statement.Sid as string | undefined,
      source,
    };
  });
}

/** IAM glob: `*` any run of characters, `?` one character; actions compare case-insensitively. */
export function globMatches(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\<>]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'i' : '').test(value);
}

export function actionMatches(pattern: string, action: string): boolean {
  return globMatches(pattern, action, true);
}

/** Every identity-based statement that applies to one role: attached policies and inline ones. */
export function identityStatementsOf(
  resources: Readonly<Record<string, CfnResourceJson>>,
  roleId: string,
): Statement[] {
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
  const statements: Statement[] = [];
  for (const inline of list(role.Properties.Policies)) {
    statements.push(
      ...statementsOf((inline as { PolicyDocument: unknown }).PolicyDocument, `${roleId} inline`),
    );
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = list(resource.Properties.Roles).map(resolveIntrinsic);
    if (roles.includes(`<${roleId}>`))
      statements.push(...statementsOf(resource.Properties.PolicyDocument, id));
  }
  return statements;
}

/** Every identity policy document of the template, wherever it lives. */
export function everyIdentityStatement(resources: Readonly<Record<string, CfnResourceJson>>): Statement[] {
  const statements: Statement[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      statements.push(...statementsOf(resource.Properties.PolicyDocument, id));
    }
    if (
      resource.Type === 'AWS::IAM::Role' ||
      resource.Type === 'AWS::IAM::User' ||
      resource.Type === 'AWS::IAM::Group'
    ) {
      for (const inline of list(resource.Properties.Policies)) {
        statements.push(
          ...statementsOf((inline as { PolicyDocument: unknown }).PolicyDocument, `${id} inline`),
        );
      }
    }
  }
  return statements;
}

/** Resource-policy statements (bucket, key) whose deny names this role by `aws:PrincipalArn`. */
export function denialsNaming(statements: readonly Statement[], roleId: string): Statement[] {
  return statements.filter(
    (statement) =>
      statement.effect === 'Deny' &&
      (statement.conditions.ArnEquals?.['aws:PrincipalArn'] ?? []).includes(`<${roleId}.Arn>`) &&
      // A deny that also depends on the request (e.g. the retention asked for) is not a blanket
      // denial of the action; tests assert those statements directly.
      Object.keys(statement.conditions).every((operator) => operator === 'ArnEquals'),
  );
}

export interface Decision {
  readonly allowed: boolean;
  /** Conditions of the allowing statements (the caller decides whether they hold). */
  readonly conditions: readonly Statement['conditions'][];
}

/**
 * Identity allows minus explicit denies (identity and resource denies naming the role).
 * Conditions on allows are reported, not evaluated; a deny applies regardless of its
 * conditions only when the caller passes it in `denies` (already filtered to the role).
 */
export function decide(
  allows: readonly Statement[],
  denies: readonly Statement[],
  action: string,
  resource: string,
): Decision {
  const matching = (statement: Statement): boolean =>
    statement.actions.some((pattern) => actionMatches(pattern, action)) &&
    statement.resources.some((pattern) => globMatches(pattern, resource));
  if (denies.some(matching) || allows.some((s) => s.effect === 'Deny' && matching(s))) {
    return { allowed: false, conditions: [] };
  }
  const granting = allows.filter((statement) => statement.effect === 'Allow' && matching(statement));
  return { allowed: granting.length > 0, conditions: granting.map((statement) => statement.conditions) };
}
