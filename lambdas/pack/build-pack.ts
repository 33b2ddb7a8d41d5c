import { evaluatePeriod } from '../core/evaluate-period.ts';
import type { MissingSource, PackModel } from '../core/pack-model.ts';
import { type SettleTime, settleTimeOf } from '../core/settle.ts';
import type { LoadedProfile } from '../core/shipped-profiles.ts';
import type { Window } from '../core/window.ts';
import { Cm01Error } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceIndex, EvidenceStore, IndexEntry, PackSigner, PutResult } from '../evidence/ports.ts';
import { packKey } from '../evidence/record.ts';
import { TOOL_ID } from '../version.ts';
import { loadPeriodEvidence } from './load-evidence.ts';
import { PACK_FILE_SUFFIXES, type PackSealAttachment, publishedKeyKey, type SealedFile } from './seal.ts';
import { type SignedSeal, sealPack } from './seal-pack.ts';

/**
 * Renders a pack model; the PDF adapter in production, injected so the use-case stays testable.
 * It must call `options.seal` with the machine-readable files and embed what it returns.
 */
export type PackRenderer = (
  model: PackModel,
  options: {
    readonly seal: (files: Readonly<Record<SealedFile, Uint8Array>>) => Promise<PackSealAttachment>;
  },
) => Promise<{
  readonly pdf: Uint8Array;
  readonly manifestJson: string;
  readonly populationCsv: string;
  readonly exceptionsCsv: string;
  readonly pageCount: number;
}>;

/** A period with nothing collected: never rendered as an empty "all passed" pack. */
export class NoEvidenceError extends Cm01Error {
  override name = 'NoEvidenceError';
  constructor(message: string) {
    super('NO_EVIDENCE', message);
  }
}

export interface PackFile {
  /** File name, e.g. `cm01-acme-2026-10-clerk-cm01.pdf`. */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly stored: PutResult;
}

export interface BuiltPack {
  readonly model: PackModel;
  readonly stem: string;
  readonly pageCount: number;
  /**
   * The PDF first, then manifest, population and exceptions, then the seal, its signature, the
   * public key and the PDF's own detached signature.
   */
  readonly files: readonly PackFile[];
  readonly seal: SignedSeal;
}

export interface BuildPackRequest {
  readonly window: Window;
  readonly profile: LoadedProfile;
  /** The organisation; taken from the evidence when the store holds only one. */
  readonly org?: string;
  /**
   * The sources the collection could not read, when the pack is rendered anyway
   * (`--allow-incomplete`): the pack is marked INCOMPLETE in its model, manifest, name and index
   * entry, so it never passes for (or replaces) the complete pack of the period.
   */
  readonly incomplete?: { readonly missing: readonly MissingSource[] };
  /** Why the period's pack is issued again, when its stored seal says something else. */
  readonly reissueReason?: string;
  /** The settle time the deployments of the window are read and judged up to (the stack's `packSettleTime`). */
  readonly settle?: SettleTime;
  readonly onProgress?: (text: string) => void;
}

/** Appended to the stem of a pack rendered from an incomplete collection. */
export const INCOMPLETE_SUFFIX = '-INCOMPLETE';

/** `cm01-<org>-<period>-<profile>`: the stem of every pack file (cli.md). */
export function packStem(org: string, window: Window, profileId: string): string {
  return `cm01-${org}-${window.label}-${profileId}`;
}

/**
 * Judge every change of the window against the profile and render the pack: read the period's
 * evidence through the index (Query only) and the store (by version), evaluate (pure), render,
 * and store the PDF and its files under `packs/<period>/` with the store's retention.
 */
export async function buildPack(
  deps: {
    readonly store: EvidenceStore;
    readonly index: EvidenceIndex;
    readonly render: PackRenderer;
    readonly signer: PackSigner;
  },
  request: BuildPackRequest,
): Promise<BuiltPack> {
  const { store, index, render, signer } = deps;
  const { org, model } = await judgePeriod(store, index, request);
  request.onProgress?.(`rendering ${model.population.length} changes…`);
  const stem = `${packStem(org, request.window, model.profile.id)}${model.incomplete ? INCOMPLETE_SUFFIX : ''}`;
  let signed: SignedSeal | undefined;
  const rendered = await render(model, {
    seal: async (files) => {
      signed = await sealPack(
        { store, signer },
        {
          model,
          profile: request.profile,
          stem,
          files,
          ...(request.reissueReason ? { reissueReason: request.reissueReason } : {}),
        },
      );
      return sealAttachment(signed);
    },
  });
  if (!signed) throw new Cm01Error('PACK_UNSEALED', 'the renderer did not seal the pack');
  const seal: SignedSeal = signed;
  // The seal cannot name the PDF it is embedded in: a detached signature covers the PDF's bytes.
  // ECDSA signatures are randomised: an unchanged pack keeps its stored signature.
  const pdfSignature =
    (seal.reused ? await storedPdfSignature(store, request.window.label, stem, rendered.pdf) : undefined) ??
    (await signer.sign(rendered.pdf));
  const encoder = new TextEncoder();
  const contents: { name: string; bytes: Uint8Array; contentType: string }[] = [
    { name: `${stem}.pdf`, bytes: rendered.pdf, contentType: 'application/pdf' },
    {
      name: `${stem}.manifest.json`,
      bytes: encoder.encode(rendered.manifestJson),
      contentType: 'application/json',
    },
    {
      name: `${stem}.population.csv`,
      bytes: encoder.encode(rendered.populationCsv),
      contentType: 'text/csv',
    },
    {
      name: `${stem}.exceptions.csv`,
      bytes: encoder.encode(rendered.exceptionsCsv),
      contentType: 'text/csv',
    },
    { name: `${stem}${PACK_FILE_SUFFIXES.seal}`, bytes: seal.bytes, contentType: 'application/json' },
    {
      name: `${stem}${PACK_FILE_SUFFIXES.signature}`,
      bytes: seal.signature,
      contentType: 'application/octet-stream',
    },
    {
      name: `${stem}${PACK_FILE_SUFFIXES.publicKey}`,
      bytes: encoder.encode(seal.publicKeyPem),
      contentType: 'application/x-pem-file',
    },
    {
      name: `${stem}${PACK_FILE_SUFFIXES.pdfSignature}`,
      bytes: pdfSignature,
      contentType: 'application/octet-stream',
    },
  ];
  request.onProgress?.('storing the pack…');
  // The public half of the key, published beside the packs for auditors to pin.
  await store.put({
    key: publishedKeyKey(seal.seal.key.publicKeySha256),
    body: encoder.encode(seal.publicKeyPem),
    contentType: 'application/x-pem-file',
  });
  const files: PackFile[] = [];
  for (const content of contents) {
    const stored = await store.put({
      key: packKey(request.window.label, content.name),
      body: content.bytes,
      contentType: content.contentType,
    });
    files.push({ name: content.name, bytes: content.bytes, stored });
  }
  const pdf = files[0] as PackFile;
  const entry: IndexEntry = {
    kind: 'pack',
    period: request.window.from.slice(0, 7),
    repo: org,
    itemId: `${request.window.label}#${model.profile.id}${model.incomplete ? '#incomplete' : ''}`,
    occurredAt: request.window.from,
    key: pdf.stored.key,
    versionId: pdf.stored.versionId,
    sha256: pdf.stored.sha256,
    contentHash: pdf.stored.contentHash,
    retainUntil: pdf.stored.retainUntil,
    attributes: {
      profile: model.profile.id,
      changes: model.population.length,
      exceptions: model.exceptions.length,
      manifestDigest: model.manifestDigest,
      ...(model.incomplete ? { incomplete: true, missingSources: model.incomplete.missing.length } : {}),
      sealSha256: seal.sha256,
    },
  };
  await index.put([entry]);
  return { model, stem, pageCount: rendered.pageCount, files, seal };
}

/**
 * Read the period's evidence and judge it. Apart from `buildPack` so the evidence (the largest
 * thing a pack build holds: every document of the month, parsed) is garbage once the model is
 * made: an async function keeps its locals alive until it returns, and rendering comes after.
 */
async function judgePeriod(
  store: EvidenceStore,
  index: EvidenceIndex,
  request: BuildPackRequest,
): Promise<{ org: string; model: PackModel }> {
  request.onProgress?.('reading evidence…');
  const loaded = await loadPeriodEvidence(store, index, request.window, {
    org: request.org,
    pipelineLookbackDays: request.profile.profile.parameters.pipelineLookbackDays,
    settleAt: settleTimeOf(request.window, request.settle),
  });
  const org = loaded.orgs[0] ?? request.org;
  const evidence = loaded.evidence;
  if (org === undefined) {
    throw new NoEvidenceError(
      `no evidence collected for ${request.window.label} in ${store.location}: collect it first (cm01 collect, or cm01 run)`,
    );
  }
  if (
    evidence.pullRequests.length === 0 &&
    evidence.branchCommits.length === 0 &&
    evidence.runs.length === 0
  ) {
    throw new NoEvidenceError(
      `no evidence of ${org} collected for ${request.window.label} in ${store.location}: ` +
        `collect it first (cm01 collect --period …, or cm01 run)`,
    );
  }
  request.onProgress?.('judging changes…');
  const retention = await store.retention();
  const evaluated = evaluatePeriod({
    org,
    window: request.window,
    profile: request.profile.profile,
    profileSource: request.profile.source,
    toolVersion: TOOL_ID,
    evidence,
    retention,
    manifest: loaded.manifest,
    indexCrossCheck: loaded.indexCrossCheck,
    ...(request.settle ? { settle: request.settle } : {}),
  });
  const model: PackModel = request.incomplete ? { ...evaluated, incomplete: request.incomplete } : evaluated;
  return { org, model };
}

async function storedPdfSignature(
  store: EvidenceStore,
  period: string,
  stem: string,
  pdf: Uint8Array,
): Promise<Uint8Array | undefined> {
  const stored = await store.head(packKey(period, `${stem}${PACK_FILE_SUFFIXES.pdf}`));
  if (stored?.sha256 !== sha256Hex(pdf)) return undefined;
  const signature = await store.head(packKey(period, `${stem}${PACK_FILE_SUFFIXES.pdfSignature}`));
  return signature ? (await store.get(signature.key, signature.versionId)).body : undefined;
}

function sealAttachment(signed: SignedSeal): PackSealAttachment {
  const { seal } = signed;
  return {
    sealJson: signed.bytes,
    signature: signed.signature,
    publicKeyPem: signed.publicKeyPem,
    sealSha256: signed.sha256,
    publicKeySha256: seal.key.publicKeySha256,
    previous: seal.previous
      ? `${seal.previous.period}, seal SHA-256 ${seal.previous.sealSha256}`
      : 'none: the first sealed pack of this organisation and profile',
    ...(seal.supersedes
      ? {
          supersedes: `seal SHA-256 ${seal.supersedes.sealSha256} of ${seal.supersedes.generatedAt}; changed: ${seal.supersedes.changed.join(', ') || 'nothing'}; reason: ${seal.supersedes.reason}`,
        }
      : {}),
  };
}
