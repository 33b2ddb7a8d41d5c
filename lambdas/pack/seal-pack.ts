import type { PackModel } from '../core/pack-model.ts';
import type { LoadedProfile } from '../core/shipped-profiles.ts';
import { StoreError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceStore, PackSigner } from '../evidence/ports.ts';
import { packKey } from '../evidence/record.ts';
import {
  PACK_FILE_SUFFIXES,
  type PackSeal,
  parseSeal,
  publicKeyFingerprint,
  SEAL_ALGORITHM,
  SEAL_FORMAT,
  type SealedFile,
  sealBytes,
  sealContent,
  sealDifferences,
  sealDigest,
} from './seal.ts';

/** A signed seal, ready to embed in the PDF and store beside it. */
export interface SignedSeal {
  readonly seal: PackSeal;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly signature: Uint8Array;
  readonly publicKeyPem: string;
  /** True when the stored seal of this pack already said the same: nothing was re-signed. */
  readonly reused: boolean;
}

export interface SealRequest {
  readonly model: PackModel;
  readonly profile: LoadedProfile;
  readonly stem: string;
  /** The bytes of each sealed attachment. */
  readonly files: Readonly<Record<SealedFile, Uint8Array>>;
  /** Why a period's pack is issued again (late evidence, a fixed rule); recorded in the new seal. */
  readonly reissueReason?: string;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * Make and sign the seal of a pack. The chain link is the current seal of the latest earlier
 * calendar month with a pack of the same organisation and profile. When the store already holds
 * a seal for this pack: the same content reuses it (ECDSA signatures are randomised, so signing
 * again would make a new PDF of the same pack); different content is a re-issue, whose seal
 * names the seal it supersedes, what changed and why.
 */
export async function sealPack(
  deps: { readonly store: EvidenceStore; readonly signer: PackSigner },
  request: SealRequest,
): Promise<SignedSeal> {
  const { store, signer } = deps;
  const { model, stem } = request;
  const publicKeyPem = await signer.publicKeyPem();
  const candidate: PackSeal = {
    format: SEAL_FORMAT,
    org: model.org,
    period: { label: model.period.label, from: model.period.from, to: model.period.to },
    profile: {
      id: model.profile.id,
      name: model.profile.name,
      versions: model.profile.versions.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom })),
      sha256: sha256Hex(request.profile.source),
      origin: request.profile.origin.startsWith('shipped:') ? 'shipped' : 'file',
    },
    toolVersion: model.toolVersion,
    generatedAt: model.generatedAt,
    manifestDigest: model.manifestDigest,
    files: {
      'manifest.json': sha256Hex(request.files['manifest.json']),
      'population.csv': sha256Hex(request.files['population.csv']),
      'exceptions.csv': sha256Hex(request.files['exceptions.csv']),
    },
    previous: await previousSealOf(store, model.org, model.period.label, model.profile.id),
    supersedes: null,
    key: { algorithm: SEAL_ALGORITHM, id: signer.keyId, publicKeySha256: publicKeyFingerprint(publicKeyPem) },
  };

  const current = await readStoredSeal(store, model.period.label, stem);
  let seal = candidate;
  if (current) {
    if (sealContent(current.seal) === sealContent(candidate)) {
      const signature = await store.get(
        packKey(model.period.label, `${stem}${PACK_FILE_SUFFIXES.signature}`),
      );
      return {
        seal: current.seal,
        bytes: current.bytes,
        sha256: sealDigest(current.bytes),
        signature: signature.body,
        publicKeyPem,
        reused: true,
      };
    }
    seal = {
      ...candidate,
      supersedes: {
        sealSha256: sealDigest(current.bytes),
        generatedAt: current.seal.generatedAt,
        reason: request.reissueReason?.trim() || 'not stated',
        changed: sealDifferences(current.seal, candidate),
      },
    };
  }
  const bytes = sealBytes(seal);
  const signature = await signer.sign(bytes);
  return { seal, bytes, sha256: sealDigest(bytes), signature, publicKeyPem, reused: false };
}

/** The current seal stored for a pack, if any. */
export async function readStoredSeal(
  store: EvidenceStore,
  period: string,
  stem: string,
  versionId?: string,
): Promise<{ seal: PackSeal; bytes: Uint8Array; versionId: string } | undefined> {
  const key = packKey(period, `${stem}${PACK_FILE_SUFFIXES.seal}`);
  const head = await store.head(key, versionId);
  if (!head) return undefined;
  const { body } = await store.get(key, head.versionId);
  try {
    return { seal: parseSeal(body, key), bytes: body, versionId: head.versionId };
  } catch (error: unknown) {
    throw new StoreError(`the stored seal ${key} (version ${head.versionId}) is not a seal`, {
      cause: error,
    });
  }
}

/** Every calendar-month seal key of one organisation and profile in the store, oldest period first. */
export async function monthlySealKeys(
  store: EvidenceStore,
  org: string,
  profileId: string,
): Promise<{ period: string; key: string; stem: string }[]> {
  const found: { period: string; key: string; stem: string }[] = [];
  for (const key of await store.listKeys('packs/')) {
    const period = /^packs\/(\d{4}-\d{2})\//.exec(key)?.[1];
    if (period === undefined || !MONTH.test(period)) continue;
    const stem = `cm01-${org}-${period}-${profileId}`;
    if (key === packKey(period, `${stem}${PACK_FILE_SUFFIXES.seal}`)) found.push({ period, key, stem });
  }
  return found.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
}

async function previousSealOf(
  store: EvidenceStore,
  org: string,
  label: string,
  profileId: string,
): Promise<PackSeal['previous']> {
  // Only calendar-month packs form the chain; a --from/--to pack stands alone.
  if (!MONTH.test(label)) return null;
  const earlier = (await monthlySealKeys(store, org, profileId)).filter((s) => s.period < label);
  const latest = earlier.at(-1);
  if (!latest) return null;
  const stored = await readStoredSeal(store, latest.period, latest.stem);
  if (!stored) return null;
  return { period: latest.period, sealSha256: sealDigest(stored.bytes) };
}
