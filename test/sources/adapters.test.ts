import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/server.ts';
import { parseWorld, type WorldInput } from '../../emulator/world.ts';
import { createBetterStackClient } from '../../lambdas/adapters/better-stack/client.ts';
import { SourceAuthError } from '../../lambdas/adapters/http-json.ts';
import {
  createLinearClient,
  filterOfKeys,
  TICKETS_BY_KEY_QUERY,
  VIEWER_QUERY,
} from '../../lambdas/adapters/linear/client.ts';
import { LINEAR_SCHEMA_SDL } from '../../lambdas/adapters/linear/schema.ts';
import { candidateTicketKeys } from '../../lambdas/collect/linear-tickets.ts';
import { incidentReferences } from '../../lambdas/core/incidents.ts';
import { referencedTicketKeys } from '../../lambdas/core/tickets.ts';
import { SourceError } from '../../lambdas/errors.ts';
import { parseBetterStackSecret, parseLinearSecret } from '../../lambdas/runtime/enrichment-sources.ts';
import { WorldBuilder } from '../emulator/world-builder.ts';

/** The adapters against the emulated services over HTTP, and the parsing at their edges. */

function worldWith(extra: Partial<WorldInput>): WorldInput {
  return { ...new WorldBuilder().toInput(), ...extra };
}

const MANY_INCIDENTS = Array.from({ length: 123 }, (_, i) => ({
  id: String(1000 + i),
  name: `incident ${i}`,
  startedAt: new Date(Date.parse('2026-10-01T00:00:00Z') + i * 3_600_000).toISOString(),
}));
const MANY_TICKETS = Array.from({ length: 130 }, (_, i) => ({
  identifier: `ENG-${i + 1}`,
  title: `ticket ${i + 1}`,
  createdAt: '2026-09-01T00:00:00Z',
  ...(i === 7 ? { archivedAt: '2026-09-15T00:00:00Z' } : {}),
}));

let emulator: Emulator;
beforeAll(async () => {
  const world = parseWorld(
    worldWith({
      linear: { issues: MANY_TICKETS },
      betterStack: {
        incidents: MANY_INCIDENTS,
        onCall: [
          {
            calendar: 'Incident Commanders',
            login: 'octocat',
            from: '2026-10-01T00:00:00Z',
            to: '2026-10-08T00:00:00Z',
          },
        ],
      },
    }),
  );
  emulator = await startEmulator({ world, port: 0 });
});
afterAll(async () => emulator?.close());

describe('Linear adapter', () => {
  it('sends only queries that validate against Linear’s published schema', () => {
    const schema = buildSchema(LINEAR_SCHEMA_SDL);
    for (const query of [TICKETS_BY_KEY_QUERY, VIEWER_QUERY]) {
      expect(validate(schema, parse(query)).map((e) => e.message)).toEqual([]);
    }
  });

  it('looks 130 keys up in batches of 50, archived tickets included, absent keys recorded as absent', async () => {
    const before = emulator.requestLog.length;
    const linear = createLinearClient({
      endpoint: emulator.linear!.endpoint,
      apiKey: emulator.linear!.apiKey,
    });
    const keys = [...MANY_TICKETS.map((t) => t.identifier.toLowerCase()), 'ENG-9999', 'OPS-1'];
    const lookup = await linear.lookupTickets(keys);
    expect(lookup.tickets).toHaveLength(132);
    expect(lookup.tickets.filter((t) => t.exists)).toHaveLength(130);
    expect(lookup.tickets.find((t) => t.key === 'ENG-8')?.issue?.archivedAt).toBe('2026-09-15T00:00:00.000Z');
    expect(lookup.tickets.find((t) => t.key === 'ENG-9999')).toEqual({
      key: 'ENG-9999',
      exists: false,
      issue: null,
    });
    expect(lookup.provenance.requests).toBe(3);
    expect(emulator.requestLog.slice(before).filter((e) => e.path === '/linear/graphql')).toHaveLength(3);
  });

  it('asks by team key and number, since Linear compares the id filter with UUIDs, not identifiers', async () => {
    expect(filterOfKeys(['ENG-12', 'OPS-3', 'ENG-252'])).toEqual({
      or: [
        { team: { key: { eq: 'ENG' } }, number: { in: [12, 252] } },
        { team: { key: { eq: 'OPS' } }, number: { in: [3] } },
      ],
    });
    const byIdentifier = await fetch(emulator.linear!.endpoint, {
      method: 'POST',
      headers: { authorization: emulator.linear!.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ issues(filter: { id: { in: ["ENG-1"] } }) { nodes { identifier } } }',
      }),
    });
    const answer = (await byIdentifier.json()) as { data: { issues: { nodes: unknown[] } } };
    expect(answer.data.issues.nodes).toEqual([]);
  });

  it('is refused by the emulator, as by Linear, for a field Linear does not have', async () => {
    const answer = await fetch(emulator.linear!.endpoint, {
      method: 'POST',
      headers: { authorization: emulator.linear!.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ issues { nodes { identifier storyPoints } } }' }),
    });
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as { errors: { message: string }[] };
    expect(body.errors[0]?.message).toMatch(/Cannot query field "storyPoints" on type "Issue"/);
  });

  it('reports a refused key as an authentication error, naming no credential', async () => {
    const linear = createLinearClient({ endpoint: emulator.linear!.endpoint, apiKey: 'lin_api_wrong' });
    const error = await linear.identity().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceAuthError);
    expect(String(error)).not.toMatch(/lin_api_wrong/);
  });
});

describe('Better Stack adapter', () => {
  it('follows pagination.next through every page of incidents (at most 50 a page)', async () => {
    const before = emulator.requestLog.length;
    const client = createBetterStackClient({
      baseUrl: emulator.betterStack!.baseUrl,
      token: emulator.betterStack!.token,
    });
    const listed = await client.listIncidents('2026-10-01', '2026-10-31');
    expect(listed.incidents).toHaveLength(123);
    expect(new Set(listed.incidents.map((i) => i.id)).size).toBe(123);
    expect(listed.provenance.requests).toBe(3);
    expect(
      emulator.requestLog.slice(before).filter((e) => e.path === '/better-stack/api/v2/incidents'),
    ).toHaveLength(3);
  });

  it('reads the on-call calendars and their events with the users’ addresses', async () => {
    const client = createBetterStackClient({
      baseUrl: emulator.betterStack!.baseUrl,
      token: emulator.betterStack!.token,
    });
    const { calendars } = await client.listOnCallCalendars();
    expect(calendars.map((c) => c.calendarName)).toEqual(['Incident Commanders']);
    const { events } = await client.listOnCallEvents(calendars[0]!.calendarId);
    expect(events).toEqual([
      expect.objectContaining({ users: ['octocat@acme.example'], startsAt: '2026-10-01T00:00:00.000Z' }),
    ]);
  });

  it('never sends the token to another origin named by a next link', async () => {
    let seenAuthorization: string | undefined;
    const other = createServer((request, response) => {
      seenAuthorization = request.headers.authorization;
      response.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    const rogue = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          data: [],
          pagination: { next: `http://localhost:${otherPort}/api/v2/incidents?page=2` },
        }),
      );
    });
    await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve));
    try {
      const port = (rogue.address() as AddressInfo).port;
      const client = createBetterStackClient({
        baseUrl: `http://127.0.0.1:${port}/api/v2`,
        token: 'secret-token',
      });
      await expect(client.listIncidents('2026-10-01', '2026-10-31')).rejects.toBeInstanceOf(SourceError);
      expect(seenAuthorization).toBeUndefined();
    } finally {
      rogue.close();
      other.close();
    }
  });

  it('reports a refused token as an authentication error', async () => {
    const client = createBetterStackClient({ baseUrl: emulator.betterStack!.baseUrl, token: 'nope' });
    await expect(client.listOnCallCalendars()).rejects.toBeInstanceOf(SourceAuthError);
  });
});

describe('parsing at the edges', () => {
  it('finds ticket candidates in title, branch (any case) and body links', () => {
    expect(
      candidateTicketKeys({
        title: 'ENG-1 and CHK-22',
        headRef: 'alice/eng-3-refunds',
        body: 'see https://linear.app/acme/issue/OPS-4/slug and ENG-5 in prose',
      }),
    ).toEqual(['CHK-22', 'ENG-1', 'ENG-3', 'OPS-4']);
  });

  it('reads the keys a rule counts with the profile’s patterns', () => {
    const patterns = {
      ticketPattern: '[A-Z][A-Z0-9]{1,9}-[0-9]+',
      linearLinkPattern: 'https://linear\\.app/[^/\\s]+/issue/[A-Z][A-Z0-9]{1,9}-[0-9]+',
      nonTicketKeys: ['SHA'],
    };
    expect(
      referencedTicketKeys(
        { title: 'no key', headRef: 'bob/eng-7-x', body: 'https://linear.app/acme/issue/ENG-8' },
        patterns,
      ),
    ).toEqual(['ENG-7', 'ENG-8']);
    // A standard's name is no ticket: it is never asked of Linear as one the rule counts.
    expect(
      referencedTicketKeys({ title: 'ENG-9 Switch to SHA-256', headRef: 'x', body: '' }, patterns),
    ).toEqual(['ENG-9']);
  });

  it('reads what an incident names as its cause: PR numbers and URLs, commit SHAs and URLs', () => {
    const sha = 'a'.repeat(40);
    const refs = incidentReferences({
      name: 'Checkout 5xx after acme/payments-api#101',
      cause: `https://github.com/acme/web/pull/7 and https://github.com/acme/web/commit/${sha}`,
      metadata: { 'Caused by': `${'b'.repeat(40)} x${'c'.repeat(41)}` },
    });
    expect(
      refs.map((r) =>
        r.kind === 'pull-request' ? `${r.repo}#${r.number}` : `${r.repo ?? '?'}@${r.sha.slice(0, 3)}`,
      ),
    ).toEqual(['acme/payments-api#101', 'acme/web#7', 'acme/web@aaa', '?@bbb']);
  });

  it('refuses malformed secrets naming the secret, never echoing it', () => {
    expect(parseLinearSecret('{"apiKey":"lin_api_x"}')).toBe('lin_api_x');
    expect(parseBetterStackSecret('{"token":"t"}')).toBe('t');
    expect(parseLinearSecret('lin_api_plain\n')).toBe('lin_api_plain');
    expect(() => parseLinearSecret('{"key": "lin_api_x"')).toThrow(/Linear secret: is not JSON/);
    expect(() => parseLinearSecret('')).toThrow(/Linear secret/);
    expect(() => parseBetterStackSecret('{"apiKey":"zzz-secret"}')).toThrow(/Better Stack secret: must hold/);
    expect(() => parseBetterStackSecret('{"apiKey":"zzz-secret"}')).not.toThrow(/zzz-secret/);
  });

  it('refuses a world whose linear or betterStack section is malformed, naming the field', () => {
    expect(() =>
      parseWorld(
        worldWith({
          linear: { issues: [{ identifier: 'eng12', title: 'x', createdAt: '2026-10-01T00:00:00Z' }] },
        }),
      ),
    ).toThrow(/linear\.issues\[0\]\.identifier: not a Linear issue key/);
    expect(() =>
      parseWorld(
        worldWith({
          betterStack: {
            onCall: [
              { calendar: 'IC', login: 'x', from: '2026-10-02T00:00:00Z', to: '2026-10-01T00:00:00Z' },
            ],
          },
        }),
      ),
    ).toThrow(/betterStack\.onCall\[0\]\.to: not after from/);
  });
});
