import { readPackAttachments } from '../adapters/pdf/read-attachments.ts';
import { monthWindow } from '../core/window.ts';
import { describeError, InputError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import type { EvidenceStore, StoredObject } from '../evidence/ports.ts';
import { packKey } from '../evidence/record.ts';
import { listSamples } from '../pack/sample.ts';
import {
  checkSealSignature,
  PACK_FILE_SUFFIXES,
  type PackSeal,
  parseSeal,
  publishedKeyKey,
  SEAL_ATTACHMENTS,
  sealDigest,
} from '../pack/seal.ts';
import { monthlySealKeys } from '../pack/seal-pack.ts';
import { verifyManifest } from '../pack/verify-pack.ts';
import {
  checkChainLinks,
  checkSealedAttachments,
  type PackFinding,
  type SealFile,
  sealFileOf,
} from '../pack/verify-seal.ts';

export type { PackFinding } from '../pack/verify-seal.ts';

export interface VerifyPackRequest {
  readonly pdf: Uint8Array;
  /** The PDF's detached signature (`<stem>.pdf.sig`), when the auditor holds it. */
  readonly pdfSignature?: Uint8Array;
  /** Earlier packs (PDF) or seals (`seal.json`) of the same chain, for an offline chain check. */
  readonly earlier?: readonly { readonly name: string; readonly bytes: Uint8Array }[];
  /** A public key (PEM) the auditor trusts: the pack must be signed by it. */
  readonly trustedPublicKeyPem?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface VerifyPackResult {
  readonly ok: boolean;
  /** True when no store was consulted. */
  readonly offline: boolean;
  readonly pack?: {
    readonly org: string;
    readonly period: string;
    readonly profile: string;
    readonly sealSha256: string;
    readonly previous: PackSeal['previous'];
    readonly supersedes: PackSeal['supersedes'];
  };
  /** Evidence objects re-read from the store (0 offline). */
  readonly checkedObjects: number;
  readonly findings: readonly PackFinding[];
  readonly notes: readonly string[];
}

const EMBEDDED_BESIDE = [
  ['manifest.json', PACK_FILE_SUFFIXES.manifest],
  ['population.csv', PACK_FILE_SUFFIXES.population],
  ['exceptions.csv', PACK_FILE_SUFFIXES.exceptions],
  [SEAL_ATTACHMENTS.seal, PACK_FILE_SUFFIXES.seal],
  [SEAL_ATTACHMENTS.signature, PACK_FILE_SUFFIXES.signature],
  [SEAL_ATTACHMENTS.publicKey, PACK_FILE_SUFFIXES.publicKey],
] as const;

/**
 * Verify a whole pack. Offline (no store): the seal's signature, every attachment against the
 * seal, the PDF's detached signature when given, and the chain against the earlier packs or seals
 * given. With a store, also: the PDF is byte-identical to the locked stored pack (a superseded
 * issue is named as such), every embedded file equals the one stored beside it, the signing key
 * is one published in the store, every evidence object of the manifest is unchanged, the link to
 * the previous period's stored seal holds, and the audit samples drawn from the pack are named.
 */
export async function verifyPack(
  deps: { readonly store?: EvidenceStore },
  request: VerifyPackRequest,
): Promise<VerifyPackResult> {
  const attachments = readPackAttachments(request.pdf);
  const check = checkSealedAttachments(attachments, {
    pdf: request.pdf,
    keyCheckedElsewhere: deps.store !== undefined,
    ...(request.pdfSignature ? { pdfSignature: request.pdfSignature } : {}),
    ...(request.trustedPublicKeyPem !== undefined
      ? { trustedPublicKeyPem: request.trustedPublicKeyPem }
      : {}),
  });
  const findings = [...check.findings];
  const notes = [...check.notes];
  if (!deps.store && !request.pdfSignature) {
    notes.push(
      "the PDF's pages were not checked: give its detached signature (.pdf.sig), or verify against the store",
    );
  }
  const sealFile = check.seal;

  if (sealFile && request.earlier && request.earlier.length > 0) {
    const earlier: SealFile[] = [];
    for (const file of request.earlier) {
      try {
        const { sealFile: other, signatureProblem } = sealFileOf(file.bytes, readPackAttachments);
        if (signatureProblem) findings.push({ subject: file.name, problem: signatureProblem });
        earlier.push(other);
      } catch (error: unknown) {
        throw new InputError(file.name, `is not a sealed pack or a seal: ${describeError(error)}`, {
          cause: error,
        });
      }
    }
    const chain = checkChainLinks(sealFile, earlier);
    findings.push(...chain.findings);
    notes.push(...chain.notes);
  } else if (sealFile?.seal.previous && !deps.store) {
    notes.push(
      `previous link not checked: give the ${sealFile.seal.previous.period} pack or seal (seal SHA-256 ${sealFile.seal.previous.sealSha256})`,
    );
  }

  let checkedObjects = 0;
  if (deps.store) {
    const store = deps.store;
    if (sealFile) {
      const { seal } = sealFile;
      const stem = `cm01-${seal.org}-${seal.period.label}-${seal.profile.id}`;
      findings.push(...(await comparePdfWithStore(store, seal.period.label, stem, request.pdf, notes)));
      for (const [embedded, suffix] of EMBEDDED_BESIDE) {
        const bytes = attachments.get(embedded);
        if (!bytes) continue;
        const key = packKey(seal.period.label, `${stem}${suffix}`);
        const match = await findStoredVersion(store, key, bytes);
        if (match === 'absent') findings.push({ subject: embedded, problem: `the store holds no ${key}` });
        else if (match === 'differs')
          findings.push({ subject: embedded, problem: `differs from every stored version of ${key}` });
      }
      if (!(await store.head(publishedKeyKey(seal.key.publicKeySha256)))) {
        findings.push({
          subject: SEAL_ATTACHMENTS.publicKey,
          problem: `key ${seal.key.publicKeySha256} is not published in the store (${publishedKeyKey(seal.key.publicKeySha256)})`,
        });
      }
      findings.push(...(await checkStoredPreviousLink(store, sealFile)));
      for (const sample of await listSamples(store, seal.period.label, stem)) {
        notes.push(
          `audit sample ${sample.key} (version ${sample.versionId}): seed ${sample.sample.seed}, ` +
            `${sample.sample.items.length} of ${sample.sample.populationSize} changes` +
            `${sample.sample.control ? ` applicable to ${sample.sample.control}` : ''}, drawn from seal ` +
            `${sample.sample.sealSha256 === sealFile.sha256 ? 'of this pack' : `${sample.sample.sealSha256} (another issue of this pack)`}`,
        );
      }
    }
    const manifestBytes = attachments.get('manifest.json');
    if (manifestBytes) {
      const manifest = parseManifestEntries(manifestBytes);
      const result = await verifyManifest(
        store,
        { entries: manifest.entries, digest: manifest.digest },
        request.onProgress ? { onProgress: request.onProgress } : {},
      );
      checkedObjects = result.checked;
      for (const f of result.findings) {
        findings.push({ subject: `${f.key} (version ${f.versionId})`, problem: f.problem });
      }
    }
  }
  return {
    ok: findings.length === 0,
    offline: deps.store === undefined,
    ...(sealFile
      ? {
          pack: {
            org: sealFile.seal.org,
            period: sealFile.seal.period.label,
            profile: sealFile.seal.profile.id,
            sealSha256: sealFile.sha256,
            previous: sealFile.seal.previous,
            supersedes: sealFile.seal.supersedes,
          },
        }
      : {}),
    checkedObjects,
    findings,
    notes,
  };
}

async function comparePdfWithStore(
  store: EvidenceStore,
  period: string,
  stem: string,
  pdf: Uint8Array,
  notes: string[],
): Promise<PackFinding[]> {
  const key = packKey(period, `${stem}${PACK_FILE_SUFFIXES.pdf}`);
  const versions = await store.listVersions(key);
  const [current] = versions;
  if (!current) return [{ subject: 'the PDF', problem: `the store holds no pack ${key}` }];
  const actual = sha256Hex(pdf);
  const same = versions.find((v) => v.sha256 === actual);
  if (same && (await bytesOf(store, same)) === actual) {
    if (same.versionId === current.versionId) {
      notes.push(`the PDF is byte-identical to the locked stored pack ${key} (version ${current.versionId})`);
      return [];
    }
    const reissue = await readSealVersionAfter(store, period, stem, same);
    return [
      {
        subject: 'the PDF',
        problem: `superseded: it is version ${same.versionId} of ${key}; the current pack is version ${current.versionId}${reissue ? ` (re-issued: ${reissue})` : ''}`,
      },
    ];
  }
  return [
    {
      subject: 'the PDF',
      problem: `its bytes (SHA-256 ${actual}) differ from the locked stored pack ${key} (version ${current.versionId}, SHA-256 ${current.sha256}) and from every earlier version`,
    },
  ];
}

/** The reason given by the current seal of a pack that was re-issued after `version` was stored. */
async function readSealVersionAfter(
  store: EvidenceStore,
  period: string,
  stem: string,
  version: StoredObject,
): Promise<string | undefined> {
  const key = packKey(period, `${stem}${PACK_FILE_SUFFIXES.seal}`);
  const head = await store.head(key);
  if (!head || head.lastModified < version.lastModified) return undefined;
  const seal = parseSeal((await store.get(key, head.versionId)).body, key);
  return seal.supersedes
    ? `${seal.supersedes.reason}; changed: ${seal.supersedes.changed.join(', ')}`
    : undefined;
}

async function bytesOf(store: EvidenceStore, object: StoredObject): Promise<string> {
  return sha256Hex((await store.get(object.key, object.versionId)).body);
}

async function findStoredVersion(
  store: EvidenceStore,
  key: string,
  bytes: Uint8Array,
): Promise<'same' | 'differs' | 'absent'> {
  const versions = await store.listVersions(key);
  if (versions.length === 0) return 'absent';
  const wanted = sha256Hex(bytes);
  for (const version of versions) {
    if (version.sha256 === wanted && (await bytesOf(store, version)) === wanted) return 'same';
  }
  return 'differs';
}

/** The link to the previous period as the store holds it, named when broken or forked. */
async function checkStoredPreviousLink(store: EvidenceStore, sealFile: SealFile): Promise<PackFinding[]> {
  const { seal } = sealFile;
  if (!/^\d{4}-\d{2}$/.test(seal.period.label)) return [];
  const earlier = (await monthlySealKeys(store, seal.org, seal.profile.id)).filter(
    (s) => s.period < seal.period.label,
  );
  const latest = earlier.at(-1);
  const subject = `chain ${latest?.period ?? '(none)'} → ${seal.period.label}`;
  if (!seal.previous) {
    return latest
      ? [
          {
            subject,
            problem: `the seal names no previous seal, but the store holds the ${latest.period} pack`,
          },
        ]
      : [];
  }
  if (!latest || latest.period !== seal.previous.period) {
    return [
      {
        subject,
        problem: `the seal names ${seal.previous.period} as its previous period; the store's latest earlier pack is ${latest?.period ?? 'none'}`,
      },
    ];
  }
  const history = await sealHistory(store, latest.key);
  const current = history.at(-1);
  if (current?.sha256 === seal.previous.sealSha256) return [];
  const earlierIssue = history.find((h) => h.sha256 === seal.previous?.sealSha256);
  return [
    {
      subject,
      problem: earlierIssue
        ? `${latest.period} was re-issued after this pack was sealed (${current?.seal.supersedes?.reason ?? 'no reason given'}): this pack chains to the superseded issue ${earlierIssue.sha256}`
        : `the seal names ${latest.period} seal ${seal.previous.sealSha256}, which the store does not hold (current: ${current?.sha256 ?? 'none'})`,
    },
  ];
}

interface StoredSealVersion extends SealFile {
  readonly versionId: string;
  readonly lastModified: string;
}

/** Every stored version of a seal, oldest first. */
async function sealHistory(store: EvidenceStore, key: string): Promise<StoredSealVersion[]> {
  const versions = (await store.listVersions(key)).reverse();
  const history: StoredSealVersion[] = [];
  for (const version of versions) {
    const { body } = await store.get(key, version.versionId);
    history.push({
      seal: parseSeal(body, `${key} (version ${version.versionId})`),
      bytes: body,
      sha256: sealDigest(body),
      versionId: version.versionId,
      lastModified: version.lastModified,
    });
  }
  return history;
}

function parseManifestEntries(bytes: Uint8Array): {
  entries: { key: string; versionId: string; sha256: string; retainUntil: string }[];
  digest: string;
} {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as {
      entries?: { key: string; versionId: string; sha256: string; retainUntil: string }[];
      manifestDigest?: string;
    };
    if (!Array.isArray(json.entries) || typeof json.manifestDigest !== 'string')
      throw new Error('no entries');
    return { entries: json.entries, digest: json.manifestDigest };
  } catch (error: unknown) {
    throw new InputError('PACK.pdf', 'its manifest.json is not a cm01 pack manifest', { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// The chain in the store

export interface ChainMonth {
  readonly period: string;
  readonly sealSha256: string;
  /** Stored issues of the period's seal (1 unless re-issued). */
  readonly issues: number;
  readonly reissues: readonly { readonly reason: string; readonly changed: readonly string[] }[];
}

export interface VerifyChainResult {
  readonly ok: boolean;
  readonly org: string;
  readonly profile: string;
  readonly months: readonly ChainMonth[];
  readonly findings: readonly PackFinding[];
  /** The first break, in period order. */
  readonly firstBreak?: PackFinding;
}

/**
 * Walk the chain of monthly seals in the store from `from` to `to` (inclusive months): every
 * stored issue of every seal is signed by a published key, each re-issue names the issue it
 * supersedes, and each month's current seal names the current seal of the month before it.
 */
export async function verifyChain(
  deps: { readonly store: EvidenceStore },
  request: { readonly from: string; readonly to: string; readonly profile: string; readonly org?: string },
): Promise<VerifyChainResult> {
  const { store } = deps;
  const from = monthWindow(request.from, '--from').label;
  const to = monthWindow(request.to, '--to').label;
  if (from > to) throw new InputError('--to', `${to} is before --from ${from}`);
  const org = request.org ?? (await soleOrg(store, request.profile));
  const all = await monthlySealKeys(store, org, request.profile);
  const before = all.filter((s) => s.period < from).at(-1);
  const inRange = all.filter((s) => s.period >= from && s.period <= to);
  if (inRange.length === 0) {
    throw new InputError(
      '--from',
      `no sealed ${request.profile} pack of ${org} from ${from} to ${to} in ${store.location}`,
    );
  }
  const findings: PackFinding[] = [];
  const months: ChainMonth[] = [];
  let previous: StoredSealVersion[] | undefined = before ? await sealHistory(store, before.key) : undefined;
  let previousPeriod = before?.period;
  for (const month of inRange) {
    const history = await sealHistory(store, month.key);
    findings.push(...(await checkIssues(store, month.period, month.stem, history)));
    const current = history.at(-1) as StoredSealVersion;
    const subject = `chain ${previousPeriod ?? '(none)'} → ${month.period}`;
    const named = current.seal.previous;
    const prevCurrent = previous?.at(-1);
    if (!prevCurrent) {
      if (named)
        findings.push({
          subject,
          problem: `names ${named.period} seal ${named.sealSha256}, which the store does not hold`,
        });
    } else if (!named) {
      findings.push({ subject, problem: `names no previous seal, but ${previousPeriod} was sealed` });
    } else if (named.period !== previousPeriod) {
      findings.push({
        subject,
        problem: `names ${named.period} as its previous period, not ${previousPeriod}`,
      });
    } else if (named.sealSha256 !== prevCurrent.sha256) {
      const earlierIssue = previous?.find((h) => h.sha256 === named.sealSha256);
      findings.push({
        subject,
        problem: earlierIssue
          ? `${previousPeriod} was re-issued after ${month.period} was sealed (${prevCurrent.seal.supersedes?.reason ?? 'no reason given'}): ${month.period} chains to the superseded issue; re-issue ${month.period}`
          : `${month.period} names ${previousPeriod} seal ${named.sealSha256}; the store's is ${prevCurrent.sha256}: rebuilt or replaced`,
      });
    }
    months.push({
      period: month.period,
      sealSha256: current.sha256,
      issues: history.length,
      reissues: history.slice(1).map((h) => ({
        reason: h.seal.supersedes?.reason ?? 'not named',
        changed: h.seal.supersedes?.changed ?? [],
      })),
    });
    previous = history;
    previousPeriod = month.period;
  }
  return {
    ok: findings.length === 0,
    org,
    profile: request.profile,
    months,
    findings,
    ...(findings[0] ? { firstBreak: findings[0] } : {}),
  };
}

/** Each stored issue of a month's seal: signed by a published key; each re-issue names the one before. */
async function checkIssues(
  store: EvidenceStore,
  period: string,
  stem: string,
  history: readonly StoredSealVersion[],
): Promise<PackFinding[]> {
  const findings: PackFinding[] = [];
  const signatures = await Promise.all(
    (await store.listVersions(packKey(period, `${stem}${PACK_FILE_SUFFIXES.signature}`))).map(
      async (v) => (await store.get(v.key, v.versionId)).body,
    ),
  );
  for (const [i, issue] of history.entries()) {
    const subject = `${period} seal (version ${issue.versionId})`;
    const keyKey = publishedKeyKey(issue.seal.key.publicKeySha256);
    const published = await store.head(keyKey);
    if (!published) {
      findings.push({
        subject,
        problem: `signed by key ${issue.seal.key.publicKeySha256}, not published in the store`,
      });
    } else {
      const pem = new TextDecoder().decode((await store.get(keyKey, published.versionId)).body);
      if (!signatures.some((sig) => checkSealSignature(issue.bytes, sig, pem).ok)) {
        findings.push({ subject, problem: 'no stored signature verifies it with the published key' });
      }
    }
    const before = history[i - 1];
    if (before && issue.seal.supersedes?.sealSha256 !== before.sha256) {
      findings.push({
        subject,
        problem: `replaces the issue ${before.sha256} without naming it as superseded`,
      });
    }
  }
  return findings;
}

async function soleOrg(store: EvidenceStore, profile: string): Promise<string> {
  const orgs = new Set<string>();
  for (const key of await store.listKeys('packs/')) {
    const match = /^packs\/(\d{4}-\d{2})\/cm01-(.+)-(\d{4}-\d{2})-(.+)\.seal\.json$/.exec(key);
    if (match && match[1] === match[3] && match[4] === profile) orgs.add(match[2] as string);
  }
  if (orgs.size === 1) return [...orgs][0] as string;
  if (orgs.size === 0) throw new InputError('--profile', `no sealed ${profile} pack in ${store.location}`);
  throw new InputError('--org', `packs of several organisations (${[...orgs].sort().join(', ')}): name one`);
}
