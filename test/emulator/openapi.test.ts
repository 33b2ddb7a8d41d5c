import { createSign, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { stableId } from '../../emulator/world-view.ts';
import { openApiDescriptions, validatorModules } from '../../scripts/openapi-descriptions.ts';
import { addMinutes, shaOf, WorldBuilder } from './world-builder.ts';

/**
 * The emulator's REST answers against GitHub's own OpenAPI descriptions (`@octokit/openapi`,
 * api.github.com and GitHub Enterprise Cloud), over real HTTP: every operation the collectors
 * call (a guard below reads their source, so a new call without a case here fails), every field
 * GitHub marks required, bot logins as GitHub writes them, and `per_page` / `Link` paging on
 * every list. The descriptions are fetched once into a git-ignored cache (see
 * scripts/openapi-descriptions.ts); without the registry and without that cache the suite is
 * skipped, saying why.
 */

const descriptions = await openApiDescriptions();
const validator = await validatorModules();
const unavailable = !descriptions.ok ? descriptions.reason : !validator.ok ? validator.reason : undefined;
if (unavailable) console.warn(`OpenAPI conformance cannot run: ${unavailable}`);

const NOW = '2026-11-01T06:00:00Z';
const REPO = '/repos/acme/payments-api';
const APP_ID = 515151;
const INSTALLATION_ID = 88;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

function buildWorld() {
  const world = new WorldBuilder({ now: NOW, plan: 'enterprise' });
  world
    .user('alice')
    .user('dave')
    .user('deploy-bot', { type: 'Bot' })
    .user('dependabot', { type: 'Bot' })
    .team('sre', ['dave', 'alice', 'dependabot'])
    .team('security', ['alice']);
  world.repo('web');
  const repo = world.repo('payments-api');
  repo.protect({ requiredStatusChecks: ['unit'], requiredApprovingReviewCount: 1, enforceAdmins: true });
  repo.ruleset({
    id: 7,
    name: 'protect-main',
    enforcement: 'active',
    target: '~DEFAULT_BRANCH',
    rules: ['pull_request', 'required_signatures', 'required_status_checks'],
    bypassActors: [{ login: 'dave', mode: 'pull_request' }],
  });
  repo.ruleset({ id: 8, name: 'trial', enforcement: 'evaluate', rules: ['required_linear_history'] });
  const merged = repo.mergePullRequest({ number: 10, author: 'alice', mergedAt: '2026-10-05T10:00:00Z' });
  // Two apps' suites on the head commit, a re-run of unit, and two statuses.
  repo.check(merged.headSha, { name: 'unit', startedAt: '2026-10-05T09:00:00Z', conclusion: 'FAILURE' });
  repo.check(merged.headSha, { name: 'unit', startedAt: '2026-10-05T09:10:00Z' });
  repo.check(merged.headSha, { name: 'sca', app: 'snyk', startedAt: '2026-10-05T09:01:00Z' });
  for (const [i, context] of ['lint', 'lint'].entries()) {
    repo.check(merged.headSha, {
      name: context,
      kind: 'status',
      app: null,
      creator: 'dependabot',
      conclusion: i === 0 ? 'PENDING' : 'SUCCESS',
      startedAt: `2026-10-05T09:0${i}:00Z`,
    });
  }
  repo.mergePullRequest({ number: 11, author: 'dependabot', mergedAt: '2026-10-06T10:00:00Z' });
  for (let day = 0; day < 3; day++) {
    const createdAt = addMinutes('2026-10-20T12:00:00Z', day * 24 * 60);
    repo.deployment({
      id: 1000 + day,
      sha: merged.mergeCommit as string,
      createdAt,
      performedViaApp: 'github-actions',
      statuses: [
        { state: 'in_progress', createdAt: addMinutes(createdAt, 1), creator: 'deploy-bot' },
        { state: 'success', createdAt: addMinutes(createdAt, 3), creator: 'deploy-bot' },
      ],
    });
  }
  repo.workflowRun({
    id: 5000,
    createdAt: '2026-10-31T11:58:00Z',
    actor: 'dave',
    jobs: [
      {
        name: 'build',
        status: 'completed',
        conclusion: 'success',
        startedAt: '2026-10-31T11:58:30Z',
        completedAt: '2026-10-31T11:59:30Z',
      },
      {
        name: 'deploy',
        status: 'completed',
        conclusion: 'success',
        startedAt: '2026-10-31T12:00:00Z',
        completedAt: '2026-10-31T12:03:00Z',
      },
    ],
  });
  // A second run, so that the run listing has a page to announce.
  repo.workflowRun({ id: 5001, createdAt: '2026-10-30T09:00:00Z', actor: 'alice' });
  repo.ruleSuite({
    id: 1,
    actor: 'dave',
    pushedAt: '2026-10-20T10:00:00Z',
    result: 'bypass',
    evaluationResult: 'fail',
  });
  repo.ruleSuite({ id: 2, actor: 'alice', pushedAt: '2026-10-21T10:00:00Z', result: 'pass' });
  for (let i = 0; i < 3; i++) {
    repo.activity({
      id: 100 + i,
      timestamp: `2026-10-2${i}T10:00:00Z`,
      activityType: i === 0 ? 'force_push' : 'push',
      actor: 'dave',
    });
  }
  for (let i = 0; i < 3; i++) {
    const createdAt = `2026-10-1${i}T09:00:00Z`;
    world.audit({
      action: 'protected_branch.policy_override',
      actor: 'dave',
      repo: 'acme/payments-api',
      branch: 'refs/heads/main',
      createdAt,
      after: shaOf(createdAt),
      before: shaOf(`${createdAt}-before`),
      reasons: [{ code: 'review_policy_not_satisfied', message: 'At least 1 approving review is required' }],
    });
  }
  const built = world.build();
  // A file on the default branch, for the contents route (CODEOWNERS, cdk.json).
  const payments = built.repos.find((r) => r.name === 'payments-api');
  if (payments) payments.files = { '.github/CODEOWNERS': '* @acme/sre\n' };
  return { world: built, mergeCommit: merged.mergeCommit as string, head: merged.headSha };
}

interface Case {
  /** GitHub's path template, as in the description and the collectors' routes. */
  readonly template: string;
  readonly method?: 'get' | 'post';
  /** The concrete path asked. */
  readonly path: string;
  /** Signed in as the App (JWT) instead of a token. */
  readonly asApp?: boolean;
  /** Only in the GitHub Enterprise Cloud description (the audit log). */
  readonly enterpriseOnly?: boolean;
  /** Query the collectors send with it, e.g. rule suites' `time_period` (GitHub's default is a day). */
  readonly query?: string;
  /** Why a list has a single item in any world (then paging is checked on that one item). */
  readonly singleItem?: string;
}

const built = buildWorld();
/** The emulator's id of an app's suite on the head commit (as `GET …/check-suites` names it). */
function checkSuiteIdOf(app: string): number {
  return stableId(`acme/payments-api@${built.head}/suite/${app}`);
}
const CASES: Case[] = [
  { template: '/user', path: '/user' },
  { template: '/rate_limit', path: '/rate_limit' },
  { template: '/app', path: '/app', asApp: true },
  { template: '/orgs/{org}/installation', path: '/orgs/acme/installation', asApp: true },
  {
    template: '/app/installations/{installation_id}',
    path: `/app/installations/${INSTALLATION_ID}`,
    asApp: true,
  },
  {
    template: '/app/installations/{installation_id}/access_tokens',
    method: 'post',
    path: `/app/installations/${INSTALLATION_ID}/access_tokens`,
    asApp: true,
  },
  { template: '/orgs/{org}/repos', path: '/orgs/acme/repos' },
  { template: '/orgs/{org}/teams', path: '/orgs/acme/teams' },
  { template: '/orgs/{org}/teams/{team_slug}/members', path: '/orgs/acme/teams/sre/members' },
  { template: '/orgs/{org}/members', path: '/orgs/acme/members' },
  { template: '/orgs/{org}/audit-log', path: '/orgs/acme/audit-log', enterpriseOnly: true },
  { template: '/repos/{owner}/{repo}', path: REPO },
  {
    template: '/repos/{owner}/{repo}/branches/{branch}/protection',
    path: `${REPO}/branches/main/protection`,
  },
  { template: '/repos/{owner}/{repo}/rules/branches/{branch}', path: `${REPO}/rules/branches/main` },
  { template: '/repos/{owner}/{repo}/branches/{branch}', path: `${REPO}/branches/main` },
  { template: '/repos/{owner}/{repo}/contents/{path}', path: `${REPO}/contents/.github/CODEOWNERS` },
  { template: '/repos/{owner}/{repo}/rulesets', path: `${REPO}/rulesets` },
  { template: '/repos/{owner}/{repo}/rulesets/{ruleset_id}', path: `${REPO}/rulesets/7` },
  {
    template: '/repos/{owner}/{repo}/rulesets/rule-suites',
    path: `${REPO}/rulesets/rule-suites`,
    query: 'time_period=month',
  },
  {
    template: '/repos/{owner}/{repo}/rulesets/rule-suites/{rule_suite_id}',
    path: `${REPO}/rulesets/rule-suites/1`,
  },
  {
    template: '/orgs/{org}/rulesets/rule-suites',
    path: '/orgs/acme/rulesets/rule-suites',
    query: 'time_period=month',
  },
  {
    template: '/orgs/{org}/rulesets/rule-suites/{rule_suite_id}',
    path: '/orgs/acme/rulesets/rule-suites/1',
  },
  { template: '/repos/{owner}/{repo}/commits', path: `${REPO}/commits` },
  { template: '/repos/{owner}/{repo}/commits/{ref}', path: `${REPO}/commits/${built.mergeCommit}` },
  {
    template: '/repos/{owner}/{repo}/commits/{commit_sha}/pulls',
    path: `${REPO}/commits/${built.mergeCommit}/pulls`,
    singleItem: 'a merge commit belongs to the one pull request it merged',
  },
  {
    template: '/repos/{owner}/{repo}/commits/{ref}/check-suites',
    path: `${REPO}/commits/${built.head}/check-suites`,
  },
  {
    template: '/repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs',
    path: `${REPO}/check-suites/${checkSuiteIdOf('github-actions')}/check-runs`,
    query: 'filter=all',
  },
  {
    template: '/repos/{owner}/{repo}/commits/{ref}/check-runs',
    path: `${REPO}/commits/${built.head}/check-runs`,
    query: 'filter=all',
  },
  {
    template: '/repos/{owner}/{repo}/commits/{ref}/statuses',
    path: `${REPO}/commits/${built.head}/statuses`,
  },
  { template: '/repos/{owner}/{repo}/activity', path: `${REPO}/activity` },
  { template: '/repos/{owner}/{repo}/deployments', path: `${REPO}/deployments` },
  { template: '/repos/{owner}/{repo}/deployments/{deployment_id}', path: `${REPO}/deployments/1000` },
  {
    template: '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    path: `${REPO}/deployments/1000/statuses`,
  },
  {
    template: '/repos/{owner}/{repo}/actions/runs',
    path: `${REPO}/actions/runs`,
    query: 'created=2026-09-01T00:00:00Z..2026-11-01T00:00:00Z',
  },
  { template: '/repos/{owner}/{repo}/actions/runs/{run_id}', path: `${REPO}/actions/runs/5000` },
  { template: '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs', path: `${REPO}/actions/runs/5000/jobs` },
];

/** Every `GET /…` route in the collectors' and the GitHub adapter's source. */
function routesTheCollectorsCall(): string[] {
  const routes = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/['`](?:GET|POST) (\/[^'`\s?]+)['`]/g)) {
          if (match[1] && !match[1].includes('${')) routes.add(match[1]);
        }
      }
    }
  };
  walk('lambdas/adapters/github');
  walk('lambdas/collect');
  return [...routes].sort();
}

type Operation = {
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

function operationsOf(file: string): Map<string, Operation> {
  const document = JSON.parse(readFileSync(file, 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
  };
  const operations = new Map<string, Operation>();
  for (const c of CASES) {
    const operation = document.paths[c.template]?.[c.method ?? 'get'];
    if (operation) operations.set(`${c.method ?? 'get'} ${c.template}`, operation);
  }
  return operations; // the rest of the 70 MB document is dropped here
}

function jwt(): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now - 60, exp: now + 540, iss: APP_ID })}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
}

describe.skipIf(unavailable !== undefined)(
  'emulator REST answers against GitHub’s OpenAPI description',
  () => {
    let emulator: Emulator;
    const answers = new Map<string, { status: number; headers: Headers; body: unknown }>();
    const descriptionsByName = new Map<string, Map<string, Operation>>();
    let validate: (schema: unknown, body: unknown) => string[];
    const pagedCases: Case[] = [];
    let pagingProblems: string[] = [];

    const ask = async (c: Case, query = '') => {
      const search = [c.query, query].filter(Boolean).join('&');
      const response = await fetch(`${emulator.url}${c.path}${search ? `?${search}` : ''}`, {
        method: (c.method ?? 'get').toUpperCase(),
        headers: { authorization: c.asApp ? `Bearer ${jwt()}` : `token ${emulator.token}` },
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
    };

    const checkPaging = async (): Promise<string[]> => {
      const problems: string[] = [];
      for (const c of pagedCases) {
        if (c.asApp) continue;
        const full = itemsOf(
          (
            await ask(c, 'per_page=100').catch((error: unknown) => {
              throw new Error(`${c.template}: ${String(error)}`);
            })
          ).body,
        );
        if (full.length < 2) {
          if (!c.singleItem)
            problems.push(`${c.template}: the test world gives it fewer than 2 items (${full.length})`);
          else if (full.length !== 1) problems.push(`${c.template}: expected its single item`);
          else if ((await ask(c, 'per_page=1')).headers.get('link')?.includes('rel="next"'))
            problems.push(`${c.template}: a next page after the only item`);
          continue;
        }
        const first = await ask(c, 'per_page=1');
        const items = itemsOf(first.body);
        if (items.length !== 1) problems.push(`${c.template}: per_page=1 gave ${items.length} items`);
        const next = /<([^>]+)>;\s*rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
        if (!next) {
          problems.push(`${c.template}: no rel="next" in Link (${first.headers.get('link')})`);
          continue;
        }
        if (!new URL(next).searchParams.has('per_page'))
          problems.push(`${c.template}: next link drops per_page`);
        const second = await fetch(next, { headers: { authorization: `token ${emulator.token}` } }).catch(
          (error: unknown) => {
            throw new Error(`${c.template}: ${next}: ${String(error)}`);
          },
        );
        const secondItems = itemsOf(await second.json());
        if (JSON.stringify(secondItems[0]) !== JSON.stringify(full[1])) {
          problems.push(`${c.template}: page 2 of per_page=1 is not the second item`);
        }
      }
      return problems;
    };

    beforeAll(async () => {
      if (!descriptions.ok || !validator.ok) return;
      const { default: Ajv } = (await import(validator.value.ajvPath)) as {
        default: new (o: object) => AjvLike;
      };
      const { default: addFormats } = (await import(validator.value.formatsPath)) as {
        default: (ajv: AjvLike) => void;
      };
      type AjvLike = {
        compile(
          schema: unknown,
        ): ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
        addFormat(name: string, format: boolean | RegExp): void;
      };
      const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
      addFormats(ajv);
      // GitHub writes a bot's noreply address with its login, brackets and all
      // (`49699333+dependabot[bot]@users.noreply.github.com`), though its schema says `email`.
      const botNoreply = /^\d+\+[A-Za-z0-9-]+\[bot\]@users\.noreply\.github\.com$/;
      const plainEmail = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
      ajv.addFormat('email', new RegExp(`${botNoreply.source}|${plainEmail.source}`));
      // OpenAPI formats JSON Schema does not define: integers and free text, not checked here.
      for (const format of ['int32', 'int64', 'repo.nwo', 'ssh-key', 'ssh-key fingerprint'])
        ajv.addFormat(format, true);
      validate = (schema, body) => {
        const check = ajv.compile(jsonSchemaOf(schema));
        if (check(body)) return [];
        return (check.errors ?? [])
          .slice(0, Number(process.env.CM01_OPENAPI_ERRORS ?? 20))
          .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
      };
      descriptionsByName.set('api.github.com', operationsOf(descriptions.value.apiGitHubCom));
      descriptionsByName.set('ghec', operationsOf(descriptions.value.enterpriseCloud));

      emulator = await startEmulator({
        world: built.world,
        app: {
          id: APP_ID,
          slug: 'cm01-evidence',
          publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          installationId: INSTALLATION_ID,
        },
      });
      for (const c of CASES) answers.set(c.template, await ask(c));
      // A list is what GitHub's description gives a `per_page` parameter.
      pagedCases.push(
        ...CASES.filter((c) =>
          [...descriptionsByName.values()].some((ops) =>
            isList(ops.get(`${c.method ?? 'get'} ${c.template}`)),
          ),
        ),
      );
      pagingProblems = await checkPaging();
    }, 300_000);
    afterAll(async () => {
      await emulator?.close();
    });

    it('has a case for every route the collectors call', () => {
      // Parameter names differ (`{o}` for `{owner}`), the shape of the path does not.
      const shape = (template: string) => template.replace(/\{[^}]+\}/g, '{}');
      const covered = new Set(CASES.map((c) => shape(c.template)));
      expect(routesTheCollectorsCall().filter((route) => !covered.has(shape(route)))).toEqual([]);
    });

    it.each(CASES.map((c) => [`${(c.method ?? 'get').toUpperCase()} ${c.template}`, c] as const))(
      '%s validates, every required field present',
      (_name, c) => {
        const answer = answers.get(c.template);
        expect(answer?.status).toBe(c.method === 'post' ? 201 : 200);
        for (const [name, operations] of descriptionsByName) {
          const operation = operations.get(`${c.method ?? 'get'} ${c.template}`);
          if (!operation) {
            // Only the audit log is missing from api.github.com (it is an Enterprise Cloud feature).
            expect({ name, template: c.template, enterpriseOnly: c.enterpriseOnly === true }).toEqual({
              name: 'api.github.com',
              template: c.template,
              enterpriseOnly: true,
            });
            continue;
          }
          const response = operation.responses[String(answer?.status)];
          const schema = response?.content?.['application/json']?.schema;
          expect(schema, `${name}: no schema for ${answer?.status}`).toBeDefined();
          const errors = validate(schema, answer?.body);
          expect(errors, `${name} ${c.template}`).toEqual([]);
        }
      },
    );

    it('knows which operations are lists (per_page in GitHub’s description)', () => {
      const paged = pagedCases.map((c) => c.template);
      expect(paged).toContain('/repos/{owner}/{repo}/rules/branches/{branch}');
      expect(paged).toContain('/orgs/{org}/audit-log');
      expect(paged.length).toBeGreaterThanOrEqual(14);
    });

    it('honours per_page and announces the next page in Link on every list', () => {
      expect(pagedCases.length).toBeGreaterThan(0);
      expect(pagingProblems.join('\n')).toBe('');
    });

    it('writes bot logins as GitHub does: `name[bot]`, URL-escaped in API URLs, /apps/ on the web', () => {
      const members = answers.get('/orgs/{org}/teams/{team_slug}/members')?.body as {
        login: string;
        url: string;
        html_url: string;
        type: string;
      }[];
      const bot = members.find((m) => m.login.startsWith('dependabot'));
      expect(bot).toMatchObject({
        login: 'dependabot[bot]',
        type: 'Bot',
        url: `${emulator.url}/users/dependabot%5Bbot%5D`,
        html_url: 'https://github.com/apps/dependabot',
      });
      const statuses = answers.get('/repos/{owner}/{repo}/deployments/{deployment_id}/statuses')?.body as {
        creator: { login: string; url: string };
      }[];
      expect(statuses[0]?.creator.login).toBe('deploy-bot[bot]');
      expect(statuses[0]?.creator.url).toBe(`${emulator.url}/users/deploy-bot%5Bbot%5D`);
    });
  },
);

if (unavailable) {
  describe('emulator REST answers against GitHub’s OpenAPI description', () => {
    // The descriptions come from the npm registry, which `npm test` needs anyway: a missing
    // description is a failure that says why (fetch them once with scripts/openapi-descriptions.ts
    // before going offline), never a silent skip.
    it('has GitHub’s OpenAPI descriptions to check against', () => {
      throw new Error(`GitHub's OpenAPI descriptions could not be had: ${unavailable}`);
    });
  });
}

function itemsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const lists = Object.values(body as Record<string, unknown>).filter(Array.isArray);
  return (lists[0] as unknown[]) ?? [];
}

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: `type: [t, "null"]`, or, where GitHub writes
 * it beside `allOf`/`anyOf` without a type, "that or null".
 */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    converted[key] = key === 'enum' || key === 'example' || key === 'default' ? value : jsonSchemaOf(value);
  }
  // GitHub writes "" for an unset URL whose schema says `format: uri, default: ""` (an
  // environment_url, a log_url): the default is a value GitHub sends, so it passes.
  if (converted.default === '' && typeof converted.format === 'string') {
    return jsonSchemaOf({ anyOf: [{ ...converted, default: undefined }, { const: '' }], nullable });
  }
  if (nullable !== true) return converted;
  if (typeof converted.type === 'string') {
    // Some enums list null already (a check suite's conclusion): JSON Schema refuses it twice.
    if (Array.isArray(converted.enum)) converted.enum = [...new Set([...converted.enum, null])];
    return { ...converted, type: [converted.type, 'null'] };
  }
  return { anyOf: [converted, { type: 'null' }] };
}

/** A list in GitHub's description: a `per_page` parameter and an array (or `{ total_count, … }`) answer. */
function isList(operation: Operation | undefined): boolean {
  if (!operation?.parameters?.some((p) => p.name === 'per_page')) return false;
  const schema = operation.responses['200']?.content?.['application/json']?.schema as
    | { type?: string; properties?: Record<string, unknown> }
    | undefined;
  return schema?.type === 'array' || schema?.properties?.total_count !== undefined;
}
