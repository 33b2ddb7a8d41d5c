import { malformedInput } from '../errors.ts';

/**
 * Make a store ready for evidence, or check that it is (`cm01 store init`): the bucket with
 * versioning, Object Lock and default retention plus the index table, or the local folder.
 * The request is validated here; the adapter for the store's kind does the provisioning.
 */
export const LOCK_MODES = ['COMPLIANCE', 'GOVERNANCE'] as const;
export type LockMode = (typeof LOCK_MODES)[number];

export interface InitStoreRequest {
  readonly lockMode: LockMode;
  readonly retentionDays: number;
}

export interface StoreInitReport {
  readonly store: string;
  /** What was created. */
  readonly created: readonly string[];
  /** What existed and was checked (or found different from the request and left alone). */
  readonly checked: readonly string[];
}

/** The adapter side: creates what is absent, checks what is present, refuses what is unsafe. */
export type ProvisionStore = (request: InitStoreRequest) => Promise<StoreInitReport>;

export const DEFAULT_INIT_REQUEST: InitStoreRequest = { lockMode: 'COMPLIANCE', retentionDays: 365 };

export async function initStore(
  provision: ProvisionStore,
  request: Partial<InitStoreRequest> = {},
): Promise<StoreInitReport> {
  const lockMode = request.lockMode ?? DEFAULT_INIT_REQUEST.lockMode;
  const retentionDays = request.retentionDays ?? DEFAULT_INIT_REQUEST.retentionDays;
  if (!(LOCK_MODES as readonly string[]).includes(lockMode)) {
    throw malformedInput('--lock-mode', `"${String(lockMode)}" is not COMPLIANCE or GOVERNANCE`);
  }
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500) {
    throw malformedInput(
      '--retention-days',
      `${retentionDays} is not a whole number of days between 1 and 36500`,
    );
  }
  return provision({ lockMode, retentionDays });
}
