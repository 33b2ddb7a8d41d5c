import type { EvidenceStore } from '../evidence/ports.ts';
import type { RoomEvidenceEntry, RoomPack } from '../room/model.ts';
import { evidenceRefKey } from '../room/model.ts';
import {
  type ExceptionFilter,
  evidencePage,
  indexPage,
  notFoundPage,
  packPage,
  type RoomMode,
  trendGroups,
  trendsPage,
} from '../room/pages.ts';
import {
  evidenceId,
  evidencePagePath,
  evidenceRawPath,
  packFilePath,
  packPagePath,
  ROOM_INDEX,
  trendsPagePath,
} from '../room/paths.ts';
import { ROOM_PREFIX, type Room, type RoomCache, type RoomDeps, readRoom, readRoomEvidence } from './room.ts';

/**
 * The evidence room as a site: every page at its path under `packs/`, for `cm01 room` to answer
 * requests and for the pack job to write as static files under `packs/room/`.
 */
export interface RoomFileOut {
  /** Relative to `packs/`, e.g. `room/index.html`. */
  readonly path: string;
  readonly body: Uint8Array;
  readonly contentType: string;
}

const HTML = 'text/html; charset=utf-8';
const encoder = new TextEncoder();

/** The evidence versions the exceptions cite: each gets a page. */
function citedEvidence(room: Room): Map<string, RoomEvidenceEntry> {
  const cited = new Map<string, RoomEvidenceEntry>();
  for (const pack of room.packs) {
    for (const row of pack.exceptions) {
      const entry = row.evidenceKey
        ? pack.evidence.get(evidenceRefKey(row.evidenceKey, row.evidenceVersion))
        : undefined;
      if (entry) cited.set(evidenceId(entry.key, entry.versionId), entry);
    }
  }
  return cited;
}

/** Every page of the room in static form, with the raw bytes of each cited evidence version. */
export async function* staticRoomFiles(deps: RoomDeps, room: Room): AsyncGenerator<RoomFileOut> {
  const mode: RoomMode = 'static';
  yield { path: ROOM_INDEX, body: encoder.encode(indexPage(room, mode)), contentType: HTML };
  for (const pack of room.packs) {
    yield {
      path: packPagePath(pack.stem),
      body: encoder.encode(packPage(room, pack, mode)),
      contentType: HTML,
    };
  }
  for (const group of trendGroups(room)) {
    yield {
      path: trendsPagePath(group.org, group.profileId),
      body: encoder.encode(trendsPage(room, group, mode)),
      contentType: HTML,
    };
  }
  for (const entry of citedEvidence(room).values()) {
    const object = await readRoomEvidence(deps, room, entry);
    if (!object) continue;
    yield {
      path: evidencePagePath(entry.key, entry.versionId),
      body: encoder.encode(evidencePage(room, object, mode)),
      contentType: HTML,
    };
    yield {
      path: evidenceRawPath(entry.key, entry.versionId),
      body: object.bytes,
      contentType: 'application/json',
    };
  }
}

export interface PublishedRoom {
  readonly pages: number;
  /** Files whose content changed (an unchanged page is not written again). */
  readonly written: number;
  readonly index: string;
}

/**
 * The pack job's last step on AWS: write the room as static files under `packs/room/`, beside the
 * packs, so an auditor opens it behind the company's CloudFront or page by page through presigned
 * URLs. Only the room's own keys are written; the packs and the evidence are read, never touched.
 */
export async function publishRoom(
  deps: { readonly store: EvidenceStore },
  options: { readonly now?: () => Date } = {},
): Promise<PublishedRoom> {
  const read = await readRoom(deps, options.now ? { now: options.now } : {});
  // Dated by the newest pack rather than the clock: a run that changed no pack rewrites no page.
  const newest = read.packs
    .map((p) => p.lastModified)
    .sort()
    .at(-1);
  const room: Room = newest ? { ...read, readAt: newest } : read;
  let pages = 0;
  let written = 0;
  for await (const file of staticRoomFiles(deps, room)) {
    const key = `packs/${file.path}`;
    if (!key.startsWith(ROOM_PREFIX))
      throw new Error(`the room writes only under ${ROOM_PREFIX}, not ${key}`);
    const put = await deps.store.put({ key, body: file.body, contentType: file.contentType });
    pages++;
    if (put.written) written++;
  }
  return { pages, written, index: `packs/${ROOM_INDEX}` };
}

// ---------------------------------------------------------------------------------------------
// Answering requests (`cm01 room`)

export interface RoomResponse {
  readonly status: 200 | 302 | 404 | 405;
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly location?: string;
}

const FILE_TYPES: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.pem': 'application/x-pem-file',
  '.sig': 'application/octet-stream',
};

/**
 * Reads the room at most once every `maxAgeMs`: a page view must not cost every pack's files
 * again, and a pack stored meanwhile shows up within seconds. Readings of unchanged file versions
 * are kept (a version never changes).
 */
export class RoomReader {
  readonly #deps: RoomDeps;
  readonly #cache: RoomCache = new Map();
  readonly #maxAgeMs: number;
  #room: Promise<Room> | undefined;
  #readAt = 0;

  constructor(deps: RoomDeps, options: { readonly maxAgeMs?: number } = {}) {
    this.#deps = deps;
    this.#maxAgeMs = options.maxAgeMs ?? 15_000;
  }

  get deps(): RoomDeps {
    return this.#deps;
  }

  current(): Promise<Room> {
    const now = Date.now();
    if (!this.#room || now - this.#readAt > this.#maxAgeMs) {
      this.#readAt = now;
      const reading = readRoom(this.#deps, { cache: this.#cache });
      // A failed reading is not kept: the next request tries again.
      reading.catch(() => {
        if (this.#room === reading) this.#room = undefined;
      });
      this.#room = reading;
    }
    return this.#room;
  }
}

export async function answerRoomRequest(
  reader: RoomReader,
  request: { readonly method: string; readonly url: string },
): Promise<RoomResponse> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return {
      status: 405,
      contentType: 'text/plain; charset=utf-8',
      body: encoder.encode('read-only: GET only\n'),
    };
  }
  const url = new URL(request.url, 'http://room.invalid');
  let path: string;
  try {
    path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  } catch {
    path = '';
  }
  if (path === '' || path === 'room' || path === 'room/') {
    return {
      status: 302,
      contentType: 'text/plain; charset=utf-8',
      body: new Uint8Array(),
      location: `/${ROOM_INDEX}`,
    };
  }
  const room = await reader.current();
  const page = (body: string): RoomResponse => ({
    status: 200,
    contentType: HTML,
    body: encoder.encode(body),
  });
  if (path === ROOM_INDEX) return page(indexPage(room, 'served'));

  const pack = room.packs.find((p) => packPagePath(p.stem) === path);
  if (pack) return page(packPage(room, pack, 'served', filterOf(url.searchParams)));

  const group = trendGroups(room).find((g) => trendsPagePath(g.org, g.profileId) === path);
  if (group) return page(trendsPage(room, group, 'served'));

  const evidence = /^room\/evidence\/([0-9a-f]{40})\.(html|json)$/.exec(path);
  if (evidence) {
    const entry = citedEvidence(room).get(evidence[1] as string);
    const object = entry ? await readRoomEvidence(reader.deps, room, entry) : undefined;
    if (object) {
      return evidence[2] === 'json'
        ? { status: 200, contentType: 'application/json', body: object.bytes }
        : page(evidencePage(room, object, 'served'));
    }
  }

  const file = findPackFile(room.packs, path);
  if (file) {
    const { body } = await reader.deps.store.get(file.key, file.versionId);
    const extension = file.name.slice(file.name.lastIndexOf('.'));
    return { status: 200, contentType: FILE_TYPES[extension] ?? 'application/octet-stream', body };
  }
  return {
    status: 404,
    contentType: HTML,
    // Links are relative to the address asked for, so they lead back from any depth.
    body: encoder.encode(
      notFoundPage(room, 'served', path || ROOM_INDEX, `The room holds nothing at /${path}.`),
    ),
  };
}

/** Only the files of listed packs are served, at the version the room read. */
function findPackFile(packs: readonly RoomPack[], path: string): RoomPack['files'][number] | undefined {
  for (const pack of packs) {
    const file = pack.files.find((f) => packFilePath(f.key) === path);
    if (file) return file;
  }
  return undefined;
}

function filterOf(params: URLSearchParams): ExceptionFilter {
  const value = (name: string) => {
    const v = params.get(name)?.trim();
    return v ? v.slice(0, 200) : undefined;
  };
  const control = value('control');
  const repo = value('repo');
  const change = value('change');
  return {
    ...(control ? { control } : {}),
    ...(repo ? { repo } : {}),
    ...(change ? { change } : {}),
  };
}
