import { manifestDigest } from '../core/evaluate-period.ts';
import { describeError } from '../errors.ts';
import { sha256Hex } from '../evidence/canonical-json.ts';
import {
  checkSealSignature,
  type PackSeal,
  parseSeal,
  publicKeyFingerprint,
  SEAL_ATTACHMENTS,
  SEALED_FILES,
  sealDigest,
} from './seal.ts';

/** Something in a pack that does not match what it claims: verify exits 1 naming each. */
export interface PackFinding {
  /** What differs: `exceptions.csv`, `seal.sig`, `the PDF`, `chain 2026-09 → 2026-10`, an evidence key. */
  readonly subject: string;
  readonly problem: string;
}

/** A seal read from a pack or a seal file, with its bytes (the chain names their SHA-256). */
export interface SealFile {
  readonly seal: PackSeal;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

export interface SealCheck {
  readonly seal: SealFile | undefined;
  readonly publicKeyPem: string | undefined;
  readonly findings: PackFinding[];
  readonly notes: string[];
}

/**
 * Check a pack's embedded files against its seal, with no store: the seal's signature by the
 * embedded public key (and, when given, that this key is the one the auditor trusts), each sealed
 * attachment's SHA-256, the manifest's digest of its own entries, and the PDF's detached signature.
 */
export function checkSealedAttachments(
  attachments: ReadonlyMap<string, Uint8Array>,
  options: {
    readonly pdf?: Uint8Array;
    readonly pdfSignature?: Uint8Array;
    readonly trustedPublicKeyPem?: string;
    /** The caller checks the key against the store's published keys itself. */
    readonly keyCheckedElsewhere?: boolean;
  } = {},
): SealCheck {
  const findings: PackFinding[] = [];
  const notes: string[] = [];
  const sealBytes = attachments.get(SEAL_ATTACHMENTS.seal);
  const signature = attachments.get(SEAL_ATTACHMENTS.signature);
  const keyBytes = attachments.get(SEAL_ATTACHMENTS.publicKey);
  const missing = Object.values(SEAL_ATTACHMENTS).filter((name) => !attachments.has(name));
  if (!sealBytes || !signature || !keyBytes) {
    findings.push({
      subject: 'seal',
      problem: `the pack is not sealed: ${missing.join(', ')} missing among its embedded files`,
    });
    return { seal: undefined, publicKeyPem: undefined, findings, notes };
  }
  let seal: PackSeal;
  try {
    seal = parseSeal(sealBytes);
  } catch (error: unknown) {
    findings.push({ subject: SEAL_ATTACHMENTS.seal, problem: describeError(error) });
    return { seal: undefined, publicKeyPem: undefined, findings, notes };
  }
  const publicKeyPem = new TextDecoder().decode(keyBytes);
  const signed = checkSealSignature(sealBytes, signature, publicKeyPem);
  if (!signed.ok) findings.push({ subject: SEAL_ATTACHMENTS.signature, problem: signed.problem });
  const fingerprint = safeFingerprint(publicKeyPem);
  if (fingerprint !== seal.key.publicKeySha256) {
    findings.push({
      subject: SEAL_ATTACHMENTS.publicKey,
      problem: `its SHA-256 is ${fingerprint ?? 'unreadable'}, the seal names key ${seal.key.publicKeySha256}`,
    });
  }
  if (options.trustedPublicKeyPem === undefined && !options.keyCheckedElsewhere) {
    notes.push(
      `signed by key ${fingerprint ?? 'unreadable'}: the embedded key proves the pack unaltered since sealing, not who sealed it; ` +
        `compare it with the published key (packs/keys/${fingerprint ?? '…'}.pem, or KMS GetPublicKey) or pass --public-key`,
    );
  } else if (options.trustedPublicKeyPem !== undefined) {
    const trusted = safeFingerprint(options.trustedPublicKeyPem);
    if (trusted !== fingerprint) {
      findings.push({
        subject: SEAL_ATTACHMENTS.publicKey,
        problem: `the pack is signed by key ${fingerprint ?? 'unreadable'}, not by the trusted key ${trusted ?? 'unreadable'}`,
      });
    }
  }
  for (const name of SEALED_FILES) {
    const bytes = attachments.get(name);
    if (!bytes) {
      findings.push({ subject: name, problem: 'missing from the pack' });
      continue;
    }
    const actual = sha256Hex(bytes);
    if (actual !== seal.files[name]) {
      findings.push({ subject: name, problem: `SHA-256 is ${actual}, the seal records ${seal.files[name]}` });
    }
  }
  const manifest = attachments.get('manifest.json');
  if (manifest) {
    const problem = manifestProblem(manifest, seal.manifestDigest);
    if (problem) findings.push({ subject: 'manifest.json', problem });
  }
  if (options.pdf && options.pdfSignature) {
    const pdfSigned = checkSealSignature(options.pdf, options.pdfSignature, publicKeyPem);
    if (!pdfSigned.ok) {
      findings.push({
        subject: 'the PDF',
        problem: `its bytes do not match the detached signature (.pdf.sig): ${pdfSigned.problem}`,
      });
    }
  }
  const sha256 = sealDigest(sealBytes);
  return { seal: { seal, bytes: sealBytes, sha256 }, publicKeyPem, findings, notes };
}

/** The manifest's digest of its own entries, and the seal's, must both match the entries. */
function manifestProblem(bytes: Uint8Array, sealedDigest: string): string | undefined {
  let json: { entries?: unknown; manifestDigest?: unknown };
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as typeof json;
  } catch {
    return 'is not JSON';
  }
  if (!Array.isArray(json.entries)) return 'has no entries';
  const entries = json.entries as { key: string; versionId: string; sha256: string; retainUntil: string }[];
  const actual = manifestDigest(
    entries.map((e) => ({
      key: e.key,
      versionId: e.versionId,
      sha256: e.sha256,
      retainUntil: e.retainUntil,
    })),
  );
  if (actual !== json.manifestDigest)
    return `its digest ${String(json.manifestDigest)} does not match its entries (${actual})`;
  if (actual !== sealedDigest) return `its entries digest to ${actual}, the seal records ${sealedDigest}`;
  return undefined;
}

function safeFingerprint(pem: string): string | undefined {
  try {
    return publicKeyFingerprint(pem);
  } catch {
    return undefined;
  }
}

/**
 * Check the chain of sealed packs of one organisation and profile, oldest first: each seal must
 * name, as its previous, the seal of the latest earlier period present, byte for byte. `earlier`
 * are seals the auditor holds; `current` is the pack being verified.
 */
export function checkChainLinks(
  current: SealFile,
  earlier: readonly SealFile[],
): {
  findings: PackFinding[];
  notes: string[];
} {
  const findings: PackFinding[] = [];
  const notes: string[] = [];
  const same = earlier.filter(
    (e) =>
      e.seal.org === current.seal.org &&
      e.seal.profile.id === current.seal.profile.id &&
      e.seal.period.label < current.seal.period.label,
  );
  for (const other of earlier) {
    if (!same.includes(other)) {
      notes.push(
        `${other.seal.org} ${other.seal.period.label} ${other.seal.profile.id}: not an earlier pack of this chain, ignored`,
      );
    }
  }
  const periods = [...new Set(same.map((e) => e.seal.period.label))].sort();
  const chain = [...periods.map((p) => latestOf(same, p)), current];
  for (let i = 1; i < chain.length; i++) {
    const before = chain[i - 1] as SealFile;
    const after = chain[i] as SealFile;
    const subject = `chain ${before.seal.period.label} → ${after.seal.period.label}`;
    const named = after.seal.previous;
    if (named === null) {
      findings.push({
        subject,
        problem: `${after.seal.period.label} names no previous seal, but ${before.seal.period.label} was sealed`,
      });
    } else if (named.period > before.seal.period.label) {
      notes.push(
        `previous link not checked: ${after.seal.period.label} names ${named.period}, which was not given (seal SHA-256 ${named.sealSha256})`,
      );
    } else if (named.period !== before.seal.period.label) {
      findings.push({
        subject,
        problem: `${after.seal.period.label} names ${named.period} as its previous period, not ${before.seal.period.label}`,
      });
    } else if (named.sealSha256 !== before.sha256) {
      const superseded = same.find((e) => e.sha256 === named.sealSha256);
      findings.push({
        subject,
        problem: superseded
          ? `${after.seal.period.label} chains to an earlier issue of ${before.seal.period.label} (seal ${named.sealSha256}); the ${before.seal.period.label} seal given (${before.sha256}) re-issued it: ${before.seal.supersedes?.reason ?? 'without naming it'}`
          : `${after.seal.period.label} names ${before.seal.period.label} seal ${named.sealSha256}, the ${before.seal.period.label} seal given is ${before.sha256}: rebuilt or replaced`,
      });
    }
  }
  if (chain.length === 1 && current.seal.previous) {
    notes.push(
      `previous link not checked: give the ${current.seal.previous.period} pack or seal (seal SHA-256 ${current.seal.previous.sealSha256})`,
    );
  }
  return { findings, notes };
}

/** Of several seals of one period, the one no other given seal supersedes (the latest issue). */
function latestOf(seals: readonly SealFile[], period: string): SealFile {
  const ofPeriod = seals.filter((s) => s.seal.period.label === period);
  const superseded = new Set(ofPeriod.map((s) => s.seal.supersedes?.sealSha256).filter(Boolean));
  return ofPeriod.find((s) => !superseded.has(s.sha256)) ?? (ofPeriod.at(-1) as SealFile);
}

/** A seal from a file an auditor holds: a pack PDF's embedded seal, or a `seal.json`. */
export function sealFileOf(
  bytes: Uint8Array,
  readAttachments: (pdf: Uint8Array) => Map<string, Uint8Array>,
): {
  sealFile: SealFile;
  signatureProblem?: string;
} {
  if (Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-') {
    const check = checkSealedAttachments(readAttachments(bytes));
    if (!check.seal) throw new Error(check.findings.map((f) => f.problem).join('; '));
    const problem = check.findings.map((f) => `${f.subject}: ${f.problem}`).join('; ');
    return { sealFile: check.seal, ...(problem ? { signatureProblem: problem } : {}) };
  }
  const seal = parseSeal(bytes);
  return { sealFile: { seal, bytes, sha256: sealDigest(bytes) } };
}
