/**
 * Ports of the evidence layer. Use-cases receive these; adapters (S3 + DynamoDB, the local
 * locker) implement them. Nothing here knows about AWS or the file system.
 */

export const EVIDENCE_KINDS = [
  'pull-request',
  'branch-commit',
  'deployment',
  'override',
  'branch-protection',
  'team-membership',
  'linear-ticket',
  'incident',
  'on-call',
  'collection-run',
  'pack',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** What the store knows about one version of one object. */
export interface StoredObject {
  readonly key: string;
  readonly versionId: string;
  /** SHA-256 (hex) of the object's bytes, as recorded in its metadata at write time. */
  readonly sha256: string;
  /** Hash that decides "unchanged" (defaults to `sha256`); see `PutObjectInput.contentHash`. */
  readonly contentHash: string;
  /** ISO-8601 UTC; the store refuses to delete or overwrite this version before it. */
  readonly retainUntil: string;
  /** Object Lock mode of this version, or `NONE` for a store without Object Lock. */
  readonly lockMode: 'COMPLIANCE' | 'GOVERNANCE' | 'NONE';
  readonly size: number;
  /** ISO-8601 UTC time the version was written. */
  readonly lastModified: string;
}

/** A key and its current version, as a listing reports them. */
export interface CurrentVersion {
  readonly key: string;
  readonly versionId: string;
}

export interface PutResult extends StoredObject {
  /** False when the current version already held the same content and nothing was written. */
  readonly written: boolean;
}

export interface PutObjectInput {
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  /** Defaults to now + the store's default retention. Never earlier than that default. */
  readonly retainUntil?: Date;
  /**
   * Decides "unchanged": when the current version carries the same content hash, nothing is
   * written and the current version is returned. Collectors pass the hash of the evidence
   * without its fetch time, so a re-run that fetched the same facts writes nothing. Defaults
   * to the SHA-256 of `body`.
   */
  readonly contentHash?: string;
}

/** Retention as read from the store itself, never assumed. */
export interface RetentionStatus {
  readonly store: 's3' | 'local';
  /** `s3://bucket` or the local directory. */
  readonly location: string;
  /** True only when the store enforces immutability itself (S3 Object Lock). */
  readonly immutable: boolean;
  readonly versioning: 'Enabled' | 'Suspended' | 'Off';
  readonly objectLock: {
    readonly enabled: boolean;
    readonly mode?: 'COMPLIANCE' | 'GOVERNANCE';
    readonly days?: number;
  };
  /** Human-readable lifecycle rules, e.g. "noncurrent versions expire 400 days after…". */
  readonly lifecycle: readonly string[];
  /** Anything an auditor should read, e.g. "local directory: not immutable". */
  readonly notes: readonly string[];
}

export interface StoredBody {
  readonly body: Uint8Array;
  readonly object: StoredObject;
  /** SHA-256 (hex) of `body` itself, computed on this read; absent when the store did not hash it. */
  readonly bodySha256?: string;
}

export interface EvidenceStore {
  /** e.g. `s3://cm01-evidence` or `local:/srv/cm01`. */
  readonly location: string;
  /** Default retention in days applied to new versions. */
  readonly defaultRetentionDays: number;
  put(input: PutObjectInput): Promise<PutResult>;
  /**
   * The current version, or the named one. Throws `StoreError` when absent. A store that hashes
   * the bytes it read (to check them against the recorded SHA-256) gives that hash as
   * `bodySha256`, so a reader that checks them against something else need not hash them again.
   */
  get(key: string, versionId?: string): Promise<StoredBody>;
  head(key: string, versionId?: string): Promise<StoredObject | undefined>;
  /** Every version of one key, newest first. */
  listVersions(key: string): Promise<StoredObject[]>;
  /** Keys (current versions) under a prefix, sorted. */
  listKeys(prefix: string): Promise<string[]>;
  /**
   * The current version of every key under a prefix, sorted by key: one paged listing, no read
   * of any object. A key whose newest version is a delete marker is absent.
   */
  listCurrentVersions(prefix: string): Promise<CurrentVersion[]>;
  /** The folder names one level below a prefix ending in `/` (e.g. the repositories of an organisation), sorted. */
  listFolders(prefix: string): Promise<string[]>;
  retention(): Promise<RetentionStatus>;
  /** A time-limited URL to one version; undefined when the store has no such thing. */
  presignGet(key: string, versionId: string, expiresSeconds: number): Promise<string | undefined>;
}

/** One row of the index: where one piece of evidence lives and what it is about. */
export interface IndexEntry {
  readonly kind: EvidenceKind;
  /** `YYYY-MM` (UTC) of `occurredAt`. */
  readonly period: string;
  /** `org/name`, or `org` for organisation-wide evidence. */
  readonly repo: string;
  /** Unique within kind + repo: PR number, commit SHA, deployment id, event id, day. */
  readonly itemId: string;
  /** ISO-8601 UTC: merge time, commit time, deployment creation, event time, snapshot day. */
  readonly occurredAt: string;
  readonly key: string;
  readonly versionId: string;
  readonly sha256: string;
  readonly contentHash: string;
  readonly retainUntil: string;
  /** Small scalar facts for queries and the pack (e.g. `status`, `verdict`). */
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

export interface CollectorCursor {
  readonly collector: string;
  readonly repo: string;
  /** Opaque to the index: an ISO time, a GraphQL cursor, an id. */
  readonly position: string;
  readonly updatedAt: string;
}

export interface EvidenceIndex {
  readonly location: string;
  /** Throws `StoreError` naming the table and the setting to fix when it is absent or wrong. */
  check(): Promise<void>;
  /**
   * Conditional batch write: a row is written only when absent or when its version or content
   * hash differs, so repeated or concurrent runs never duplicate.
   */
  put(entries: readonly IndexEntry[]): Promise<{ written: number; unchanged: number }>;
  /** Every row of one kind in one period (one partition; a Query, never a Scan). */
  queryPeriod(kind: EvidenceKind, period: string): Promise<IndexEntry[]>;
  /** Every row of one repository, optionally of one kind and within [from, to). */
  queryRepo(
    repo: string,
    options?: { kind?: EvidenceKind; from?: string; to?: string },
  ): Promise<IndexEntry[]>;
  getCursor(collector: string, repo: string): Promise<CollectorCursor | undefined>;
  putCursor(cursor: CollectorCursor): Promise<void>;
}

/**
 * Signs pack seals: ECDSA on the NIST P-256 curve over SHA-256, the signature DER-encoded (as
 * `openssl dgst -sha256 -verify` reads it). A KMS asymmetric key on AWS, a key file on one
 * machine; verification needs only the public key, so it has no port.
 */
export interface PackSigner {
  /** Names the key in every seal: a KMS key ARN, or `local:sha256:<public key SHA-256>`. */
  readonly keyId: string;
  /** The public half, SubjectPublicKeyInfo PEM. */
  publicKeyPem(): Promise<string>;
  /** DER-encoded ECDSA P-256 signature over the SHA-256 of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}
