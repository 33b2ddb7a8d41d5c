import { readPackAttachments } from '../adapters/pdf/read-attachments.ts';
import { describeError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceStore, RetentionStatus, StoredObject } from '../evidence/ports.ts';
import { INCOMPLETE_SUFFIX } from '../pack/build-pack.ts';
import { checkPackSummary, SUMMARY_SUFFIXES } from '../pack/pack-summary.ts';
import { parseCsv } from '../pack/sample.ts';
import { PACK_FILE_SUFFIXES, publicKeyFingerprint, publishedKeyKey, SEAL_ATTACHMENTS } from '../pack/seal.ts';
import { checkSealedAttachments } from '../pack/verify-seal.ts';
import {
  evidenceRefKey,
  type Room,
  type RoomEvidenceEntry,
  type RoomEvidenceObject,
  type RoomException,
  type RoomFile,
  type RoomPack,
  type SealStatus,
} from '../room/model.ts';

export type { Room, RoomEvidenceObject, RoomPack } from '../room/model.ts';

/**
 * The auditor's evidence room, read from a store with nothing more than the auditor's read-only
 * role allows: list and read `packs/`, read evidence versions by key and version, read the
 * bucket's retention settings. No index, no listing of `evidence/`, no write. Every figure comes
 * from a pack's sealed files (manifest, population, exceptions) or from its signed summary; the
 * seal is checked as each pack is read, and a pack whose seal does not hold says so.
 */
export interface RoomDeps {
  readonly store: EvidenceStore;
}

/** `packs/<period>/<stem>.pdf`, never the room's own files under `packs/room/`. */
const PACK_PDF_KEY = /^packs\/([^/]+)\/([^/]+)\.pdf$/;
/** The prefix under which the pack job publishes the room as static files. */
export const ROOM_PREFIX = 'packs/room/';

/** Packs already read, by the versions of their files: a version never changes, so neither does its reading. */
export type RoomCache = Map<string, RoomPack>;

export async function readRoom(
  deps: RoomDeps,
  options: { readonly cache?: RoomCache; readonly now?: () => Date } = {},
): Promise<Room> {
  const { store } = deps;
  const pdfKeys = (await store.listKeys('packs/')).filter(
    (key) => PACK_PDF_KEY.test(key) && !key.startsWith(ROOM_PREFIX) && !key.startsWith('packs/keys/'),
  );
  const packs: RoomPack[] = [];
  for (const pdfKey of pdfKeys) {
    packs.push(await readRoomPack(store, pdfKey, options.cache));
  }
  packs.sort(
    (a, b) =>
      a.period.localeCompare(b.period) ||
      (a.org ?? '').localeCompare(b.org ?? '') ||
      (a.profileId ?? '').localeCompare(b.profileId ?? '') ||
      a.stem.localeCompare(b.stem),
  );
  let storeRetention: RetentionStatus | null = null;
  let storeRetentionProblem: string | null = null;
  try {
    storeRetention = await store.retention();
  } catch (error: unknown) {
    storeRetentionProblem = describeError(error);
  }
  return {
    location: store.location,
    readAt: (options.now?.() ?? new Date()).toISOString(),
    packs,
    storeRetention,
    storeRetentionProblem,
  };
}

const FILE_ROLES = Object.keys(PACK_FILE_SUFFIXES) as (keyof typeof PACK_FILE_SUFFIXES)[];

async function readRoomPack(
  store: EvidenceStore,
  pdfKey: string,
  cache: RoomCache | undefined,
): Promise<RoomPack> {
  const match = PACK_PDF_KEY.exec(pdfKey) as RegExpExecArray;
  const period = match[1] as string;
  const stem = match[2] as string;
  const base = `packs/${period}/${stem}`;
  const heads = new Map<string, StoredObject>();
  for (const [name, suffix] of [
    ...FILE_ROLES.map((role) => [role, PACK_FILE_SUFFIXES[role]] as const),
    ['summary', SUMMARY_SUFFIXES.summary] as const,
    ['summarySignature', SUMMARY_SUFFIXES.signature] as const,
  ]) {
    const head = await store.head(`${base}${suffix}`);
    if (head) heads.set(name, head);
  }
  const cacheKey = [...heads.entries()].map(([name, h]) => `${name}@${h.versionId}`).join('|');
  const cached = cache?.get(`${pdfKey}#${cacheKey}`);
  if (cached) return cached;

  const bytesOf = async (name: string): Promise<Uint8Array | undefined> => {
    const head = heads.get(name);
    return head ? (await store.get(head.key, head.versionId)).body : undefined;
  };
  const pdfHead = heads.get('pdf') as StoredObject;
  const files: RoomFile[] = [...FILE_ROLES, 'summary' as const, 'summarySignature' as const].flatMap(
    (role) => {
      const head = heads.get(role);
      return head
        ? [
            {
              role,
              key: head.key,
              name: head.key.slice(head.key.lastIndexOf('/') + 1),
              versionId: head.versionId,
              size: head.size,
            },
          ]
        : [];
    },
  );
  const manifestBytes = await bytesOf('manifest');
  const populationBytes = await bytesOf('population');
  const exceptionsBytes = await bytesOf('exceptions');
  const sealBytes = await bytesOf('seal');
  const sealSignature = await bytesOf('signature');
  const publicKey = await bytesOf('publicKey');

  const problems: string[] = [];
  let status: SealStatus;
  let sealSha256: string | null = null;
  let publicKeySha256: string | null = null;
  let checkedSeal: { sha256: string; publicKeyPem: string } | undefined;
  if (!sealBytes || !sealSignature || !publicKey) {
    status = 'unsealed';
  } else {
    const attachments = new Map<string, Uint8Array>([
      [SEAL_ATTACHMENTS.seal, sealBytes],
      [SEAL_ATTACHMENTS.signature, sealSignature],
      [SEAL_ATTACHMENTS.publicKey, publicKey],
    ]);
    if (manifestBytes) attachments.set('manifest.json', manifestBytes);
    if (populationBytes) attachments.set('population.csv', populationBytes);
    if (exceptionsBytes) attachments.set('exceptions.csv', exceptionsBytes);
    const pdf = await bytesOf('pdf');
    const pdfSignature = await bytesOf('pdfSignature');
    const check = checkSealedAttachments(attachments, {
      ...(pdf ? { pdf } : {}),
      ...(pdfSignature ? { pdfSignature } : {}),
      keyCheckedElsewhere: true,
    });
    problems.push(...check.findings.map((f) => `${f.subject}: ${f.problem}`));
    if (!pdfSignature) problems.push('the PDF: no detached signature (.pdf.sig) beside it');
    if (pdf) problems.push(...embeddedFileProblems(pdf, attachments));
    if (check.seal) {
      const { seal } = check.seal;
      sealSha256 = check.seal.sha256;
      publicKeySha256 = seal.key.publicKeySha256;
      const named = `cm01-${seal.org}-${seal.period.label}-${seal.profile.id}`;
      if (stem !== named && stem !== `${named}${INCOMPLETE_SUFFIX}`) {
        problems.push(`seal.json: names the pack ${named}, but it is stored as ${stem}`);
      }
      if (seal.period.label !== period) {
        problems.push(`seal.json: names the period ${seal.period.label}, but it is stored under ${period}`);
      }
      const published = await store.head(publishedKeyKey(seal.key.publicKeySha256));
      if (!published) {
        problems.push(
          `public-key.pem: key ${seal.key.publicKeySha256} is not published in the store (${publishedKeyKey(seal.key.publicKeySha256)})`,
        );
      } else {
        const pem = new TextDecoder().decode((await store.get(published.key, published.versionId)).body);
        if (safeFingerprint(pem) !== seal.key.publicKeySha256) {
          problems.push(`the published key ${published.key} is not the key the seal names`);
        }
      }
      if (check.publicKeyPem) checkedSeal = { sha256: check.seal.sha256, publicKeyPem: check.publicKeyPem };
    }
    status = problems.length === 0 ? 'verified' : 'broken';
  }

  const manifest = parseManifest(manifestBytes, problems);
  const population = parsePopulation(populationBytes);
  const exceptions = parseExceptions(exceptionsBytes);
  const summaryCheck = checkPackSummary(
    await bytesOf('summary'),
    await bytesOf('summarySignature'),
    status === 'verified' ? checkedSeal : undefined,
  );
  const pdfVersions = await store.listVersions(pdfKey);
  const pack: RoomPack = {
    stem,
    period,
    org: manifest?.org ?? null,
    profileId: manifest?.profileId ?? null,
    profileName: manifest?.profileName ?? null,
    generatedAt: manifest?.generatedAt ?? null,
    incomplete: stem.endsWith(INCOMPLETE_SUFFIX) || manifest?.incomplete === true,
    issues: pdfVersions.length,
    lastModified: pdfHead.lastModified,
    files,
    seal: { status, sha256: sealSha256, publicKeySha256, problems },
    controlIds: population.controlIds,
    population: population.rows,
    unknownByControl: population.unknownByControl,
    unknownTotal: Object.values(population.unknownByControl).reduce((a, b) => a + b, 0),
    exceptions,
    evidence: manifest?.entries ?? new Map(),
    summary: summaryCheck.status === 'verified' ? summaryCheck.summary : null,
    summaryProblem:
      summaryCheck.status === 'verified'
        ? null
        : status === 'verified'
          ? summaryCheck.problem
          : `not used: the pack's seal is ${status}`,
  };
  cache?.set(`${pdfKey}#${cacheKey}`, pack);
  return pack;
}

/** The files embedded in the PDF must be the ones stored beside it. */
function embeddedFileProblems(pdf: Uint8Array, beside: ReadonlyMap<string, Uint8Array>): string[] {
  let embedded: ReadonlyMap<string, Uint8Array>;
  try {
    embedded = readPackAttachments(pdf);
  } catch (error: unknown) {
    return [`the PDF: its embedded files cannot be read (${describeError(error)})`];
  }
  const problems: string[] = [];
  for (const [name, bytes] of beside) {
    const inside = embedded.get(name);
    if (!inside) problems.push(`the PDF: ${name} is not embedded in it`);
    else if (sha256Hex(inside) !== sha256Hex(bytes))
      problems.push(`the PDF: its embedded ${name} differs from the one stored beside it`);
  }
  return problems;
}

function safeFingerprint(pem: string): string | undefined {
  try {
    return publicKeyFingerprint(pem);
  } catch {
    return undefined;
  }
}

interface ParsedManifest {
  readonly org: string;
  readonly profileId: string;
  readonly profileName: string;
  readonly generatedAt: string;
  readonly incomplete: boolean;
  readonly entries: Map<string, RoomEvidenceEntry>;
}

function parseManifest(bytes: Uint8Array | undefined, problems: string[]): ParsedManifest | undefined {
  if (!bytes) return undefined;
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as {
      org?: unknown;
      profile?: { id?: unknown; name?: unknown };
      generatedAt?: unknown;
      incomplete?: unknown;
      entries?: unknown;
    };
    const entries = new Map<string, RoomEvidenceEntry>();
    if (Array.isArray(json.entries)) {
      for (const e of json.entries as Record<string, unknown>[]) {
        if (
          typeof e.key === 'string' &&
          typeof e.versionId === 'string' &&
          typeof e.sha256 === 'string' &&
          typeof e.retainUntil === 'string'
        ) {
          entries.set(evidenceRefKey(e.key, e.versionId), {
            key: e.key,
            versionId: e.versionId,
            sha256: e.sha256,
            retainUntil: e.retainUntil,
          });
        }
      }
    }
    return {
      org: String(json.org ?? ''),
      profileId: String(json.profile?.id ?? ''),
      profileName: String(json.profile?.name ?? ''),
      generatedAt: String(json.generatedAt ?? ''),
      incomplete: json.incomplete !== undefined && json.incomplete !== null,
      entries,
    };
  } catch (error: unknown) {
    problems.push(`manifest.json: cannot be read (${describeError(error)})`);
    return undefined;
  }
}

/** The population's fixed columns before one verdict column per control (cli.md). */
const POPULATION_FIXED_COLUMNS = 6;

function parsePopulation(bytes: Uint8Array | undefined): {
  controlIds: string[];
  rows: number;
  unknownByControl: Record<string, number>;
} {
  if (!bytes) return { controlIds: [], rows: 0, unknownByControl: {} };
  const [header = [], ...rows] = parseCsv(new TextDecoder().decode(bytes));
  const controlIds = header.slice(POPULATION_FIXED_COLUMNS);
  const unknownByControl: Record<string, number> = {};
  for (const row of rows) {
    controlIds.forEach((id, i) => {
      if (row[POPULATION_FIXED_COLUMNS + i] === 'unknown')
        unknownByControl[id] = (unknownByControl[id] ?? 0) + 1;
    });
  }
  return { controlIds, rows: rows.length, unknownByControl };
}

function parseExceptions(bytes: Uint8Array | undefined): RoomException[] {
  if (!bytes) return [];
  const [header = [], ...rows] = parseCsv(new TextDecoder().decode(bytes));
  const at = (name: string) => header.indexOf(name);
  const column = {
    repo: at('repo'),
    changeType: at('change_type'),
    prNumber: at('pr_number'),
    commitSha: at('commit_sha'),
    control: at('control'),
    reason: at('reason'),
    evidenceKey: at('evidence_key'),
    evidenceVersion: at('evidence_version'),
  };
  const cell = (row: string[], index: number) => (index >= 0 ? (row[index] ?? '') : '');
  return rows.map((row) => {
    const pr = cell(row, column.prNumber);
    return {
      repo: cell(row, column.repo),
      changeType: cell(row, column.changeType),
      prNumber: /^\d+$/.test(pr) ? Number(pr) : null,
      commitSha: cell(row, column.commitSha),
      control: cell(row, column.control),
      reason: cell(row, column.reason),
      evidenceKey: cell(row, column.evidenceKey),
      evidenceVersion: cell(row, column.evidenceVersion),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// One evidence object, as a pack cites it

/**
 * Read one evidence version that a pack's manifest names. The room opens only objects the packs
 * cite, by key and version (what the auditor's role allows); the bytes are hashed as read and
 * compared with the manifest.
 */
export async function readRoomEvidence(
  deps: RoomDeps,
  room: Room,
  ref: { readonly key: string; readonly versionId: string },
): Promise<RoomEvidenceObject | undefined> {
  const id = evidenceRefKey(ref.key, ref.versionId);
  const citing = room.packs.filter((p) => p.evidence.has(id));
  const entry = citing[0]?.evidence.get(id);
  if (!entry) return undefined;
  const { body, object } = await deps.store.get(ref.key, ref.versionId);
  const sha256 = sha256Hex(body);
  return {
    key: ref.key,
    versionId: ref.versionId,
    bytes: body,
    sha256,
    manifest: entry,
    matchesManifest: sha256 === entry.sha256,
    stored: object,
    citedBy: citing.map((p) => p.stem),
  };
}
