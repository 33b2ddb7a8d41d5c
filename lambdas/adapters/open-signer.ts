import { InputError } from '../errors.ts';
import type { PackSigner } from '../evidence/ports.ts';
import { KmsPackSigner } from './kms-signer.ts';
import { LazyLocalPackSigner, localSigningKeyPath } from './local-signer.ts';
import { DEFAULT_STORE_URL, parseStoreUrl } from './open-store.ts';

/** The variable that names the signing key: `kms:<key id or ARN>`, or the path of a key file. */
export const SIGNING_KEY_ENV = 'CM01_SIGNING_KEY';

/**
 * The signer of a store's packs. `CM01_SIGNING_KEY` wins: `kms:ARN` (what the stack sets for the
 * pack job) or a key file. Without it, the key file the embedded store keeps: `DIR/keys/` of a
 * `local:DIR` store, or of the default `./.cm01` for an S3 store driven from one machine.
 * `requireKms` (the Lambda path) refuses anything but a KMS key.
 */
export async function openPackSigner(
  storeUrl: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly requireKms?: boolean } = {},
): Promise<PackSigner> {
  const named = env[SIGNING_KEY_ENV]?.trim();
  if (named?.startsWith('kms:')) {
    const keyId = named.slice('kms:'.length);
    if (!keyId) throw new InputError(SIGNING_KEY_ENV, '"kms:" names no key: kms:<key id or ARN>');
    return new KmsPackSigner({ keyId });
  }
  if (options.requireKms) {
    throw new InputError(
      SIGNING_KEY_ENV,
      'missing: the pack job signs with KMS (kms:<key ARN>, set by the stack)',
    );
  }
  if (named) return new LazyLocalPackSigner(named);
  const location = parseStoreUrl(storeUrl);
  const fallback = parseStoreUrl(DEFAULT_STORE_URL);
  const dir = location.kind === 'local' ? location.dir : fallback.kind === 'local' ? fallback.dir : '.cm01';
  return new LazyLocalPackSigner(localSigningKeyPath(dir));
}
