import { sha256Hex } from '../evidence/canonical-json.ts';

/**
 * Where each page of the room lives, relative to the store's `packs/` prefix. The same paths are
 * served by `cm01 room` and written as static files under `packs/room/` by the pack job, and every
 * link between pages is relative, so the room works on loopback, behind CloudFront, or copied to
 * a folder. The packs' own files stay where they are: `packs/<period>/<file>`.
 */
export const ROOM_INDEX = 'room/index.html';

/** A file name safe in a URL and an S3 key; an unusual name keeps a hash so two never collide. */
function safeName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '_');
  return cleaned === text ? text : `${cleaned}-${sha256Hex(text).slice(0, 8)}`;
}

export function packPagePath(stem: string): string {
  return `room/pack/${safeName(stem)}.html`;
}

export function trendsPagePath(org: string, profileId: string): string {
  return `room/trends/${safeName(org)}--${safeName(profileId)}.html`;
}

/** One page per cited evidence version, named by a hash of its key and version. */
export function evidenceId(key: string, versionId: string): string {
  return sha256Hex(`${key}\n${versionId}`).slice(0, 40);
}

export function evidencePagePath(key: string, versionId: string): string {
  return `room/evidence/${evidenceId(key, versionId)}.html`;
}

/** The raw bytes of the evidence version, exactly as stored. */
export function evidenceRawPath(key: string, versionId: string): string {
  return `room/evidence/${evidenceId(key, versionId)}.json`;
}

/** A pack file under `packs/`, e.g. `2026-10/cm01-acme-2026-10-clerk-cm01.pdf`. */
export function packFilePath(storeKey: string): string {
  return storeKey.replace(/^packs\//, '');
}

/** The relative URL from one room path to another (both relative to `packs/`). */
export function relativeUrl(from: string, to: string): string {
  const fromDir = from.split('/').slice(0, -1);
  const target = to.split('/');
  let common = 0;
  while (common < fromDir.length && common < target.length - 1 && fromDir[common] === target[common])
    common++;
  const up = fromDir.slice(common).map(() => '..');
  return [...up, ...target.slice(common)].map((s) => (s === '..' ? s : encodeURIComponent(s))).join('/');
}
