import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { z } from 'zod';
import { describeError, InputError } from '../errors.ts';
import { canonicalJson, sha256Hex } from '../evidence/canonical-json.ts';

/**
 * The seal of a pack: a small canonical JSON document that names what the pack is (organisation,
 * period, profile and the digest of the profile file, tool version, generation time), the SHA-256
 * of each machine-readable file, and the SHA-256 of the seal of the period before (the chain). It
 * is signed with ECDSA P-256 over SHA-256; the signature is DER, so `openssl dgst -sha256 -verify
 * public-key.pem -signature seal.sig seal.json` checks it with nothing of ours.
 */
export const SEAL_FORMAT = 'cm01-pack-seal/1';
export const SEAL_ALGORITHM = 'ECDSA_P256_SHA256';

/** The attachments a seal covers, by their file name inside the PDF. */
export const SEALED_FILES = ['manifest.json', 'population.csv', 'exceptions.csv'] as const;
export type SealedFile = (typeof SEALED_FILES)[number];

/** Names of the seal's own files inside the PDF (and, with the pack's stem, beside it in the store). */
export const SEAL_ATTACHMENTS = {
  seal: 'seal.json',
  signature: 'seal.sig',
  publicKey: 'public-key.pem',
} as const;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex');

const sealSchema = z.strictObject({
  format: z.literal(SEAL_FORMAT),
  org: z.string().min(1),
  period: z.strictObject({ label: z.string().min(1), from: z.string(), to: z.string() }),
  profile: z.strictObject({
    id: z.string().min(1),
    name: z.string(),
    versions: z.array(z.strictObject({ version: z.string(), effectiveFrom: z.string() })),
    /** SHA-256 of the profile file's text as the pack printed it in its appendix. */
    sha256: hex64,
    /** `shipped` for a profile of the tool, `file` for an organisation's own profile file. */
    origin: z.enum(['shipped', 'file']),
  }),
  toolVersion: z.string(),
  generatedAt: z.string(),
  /** The manifest's own digest of its entries (printed on the cover). */
  manifestDigest: hex64,
  files: z.strictObject({ 'manifest.json': hex64, 'population.csv': hex64, 'exceptions.csv': hex64 }),
  /** The seal of the latest earlier calendar-month pack of the same organisation and profile. */
  previous: z.strictObject({ period: z.string(), sealSha256: hex64 }).nullable(),
  /** Set on a re-issue: the seal this one replaces, and why; the first issue stays retained. */
  supersedes: z
    .strictObject({
      sealSha256: hex64,
      generatedAt: z.string(),
      reason: z.string().min(1),
      changed: z.array(z.string()),
    })
    .nullable(),
  key: z.strictObject({
    algorithm: z.literal(SEAL_ALGORITHM),
    id: z.string().min(1),
    /** SHA-256 of the public key's DER (SubjectPublicKeyInfo): compare with the published key. */
    publicKeySha256: hex64,
  }),
});
export type PackSeal = z.infer<typeof sealSchema>;

/** The exact bytes that are signed and hashed: canonical JSON, UTF-8, no trailing newline. */
export function sealBytes(seal: PackSeal): Uint8Array {
  return new TextEncoder().encode(canonicalJson(seal));
}

/** SHA-256 of a seal's bytes: what the next period's seal names. */
export function sealDigest(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}

export function parseSeal(bytes: Uint8Array, field = 'seal.json'): PackSeal {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error: unknown) {
    throw new InputError(field, 'is not JSON', { cause: error });
  }
  const parsed = sealSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      `${field}${issue?.path.length ? `.${issue.path.join('.')}` : ''}`,
      `is not a cm01 pack seal (${issue?.message ?? 'invalid'})`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

/** SHA-256 of a PEM public key's DER form: stable whatever the PEM's line breaks. */
export function publicKeyFingerprint(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return sha256Hex(new Uint8Array(der));
}

/**
 * Whether `signature` (DER) is a valid ECDSA P-256 / SHA-256 signature of `message` by the key
 * in `publicKeyPem`. A key of another type or curve is refused, never "verified".
 */
export function checkSealSignature(
  message: Uint8Array,
  signature: Uint8Array,
  publicKeyPem: string,
): { ok: true } | { ok: false; problem: string } {
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (error: unknown) {
    return { ok: false, problem: `the public key is not a PEM public key (${describeError(error)})` };
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return { ok: false, problem: 'the public key is not an ECDSA P-256 key' };
  }
  try {
    const good = verifySignature('sha256', message, { key, dsaEncoding: 'der' }, signature);
    return good ? { ok: true } : { ok: false, problem: 'the signature does not match' };
  } catch (error: unknown) {
    return { ok: false, problem: `the signature is malformed (${describeError(error)})` };
  }
}

/** Which sealed facts differ between two seals: named in a re-issue's `supersedes.changed`. */
export function sealDifferences(before: PackSeal, after: PackSeal): string[] {
  const changed: string[] = [];
  for (const file of SEALED_FILES) if (before.files[file] !== after.files[file]) changed.push(file);
  if (before.profile.sha256 !== after.profile.sha256) changed.push('profile');
  if (before.toolVersion !== after.toolVersion) changed.push('toolVersion');
  if (before.generatedAt !== after.generatedAt) changed.push('generatedAt');
  if (canonicalJson(before.previous) !== canonicalJson(after.previous)) changed.push('previous');
  if (before.key.publicKeySha256 !== after.key.publicKeySha256) changed.push('key');
  return changed;
}

/** The seal without its re-issue note: two seals with equal content need no re-issue. */
export function sealContent(seal: PackSeal): string {
  return canonicalJson({ ...seal, supersedes: null });
}

/** A signed seal as the PDF renderer embeds and prints it. */
export interface PackSealAttachment {
  /** `seal.json`: canonical JSON, signed as is. */
  readonly sealJson: Uint8Array;
  /** `seal.sig`: DER ECDSA P-256 / SHA-256 signature of `sealJson`. */
  readonly signature: Uint8Array;
  /** `public-key.pem`: the key that verifies it. */
  readonly publicKeyPem: string;
  readonly sealSha256: string;
  readonly publicKeySha256: string;
  /** e.g. `2026-09, seal SHA-256 …`, or `none (first sealed pack)`. */
  readonly previous: string;
  /** e.g. `seal SHA-256 … (reason: late evidence)`, or undefined for a first issue. */
  readonly supersedes?: string;
}

/** Store keys of a pack's files beside its PDF (`packs/<period>/<stem>.<suffix>`). */
export const PACK_FILE_SUFFIXES = {
  pdf: '.pdf',
  manifest: '.manifest.json',
  population: '.population.csv',
  exceptions: '.exceptions.csv',
  seal: '.seal.json',
  signature: '.seal.sig',
  publicKey: '.public-key.pem',
  pdfSignature: '.pdf.sig',
} as const;

/** Where the public half of each signing key is published: `packs/keys/<fingerprint>.pem`. */
export function publishedKeyKey(fingerprint: string): string {
  return `packs/keys/${fingerprint}.pem`;
}
