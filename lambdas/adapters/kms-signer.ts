import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { describeError, StoreError } from '../errors.ts';
import type { PackSigner } from '../evidence/ports.ts';

/**
 * Signs seals with a KMS asymmetric key (`ECC_NIST_P256`, `SIGN_VERIFY`). The message is hashed
 * here and sent as a `DIGEST`, so a seal of any size fits KMS's 4 KB message limit; KMS answers
 * with a DER-encoded ECDSA signature, the same format the local key file gives.
 */
export class KmsPackSigner implements PackSigner {
  readonly keyId: string;
  private readonly client: KMSClient;
  private publicKey: Promise<string> | undefined;

  constructor(options: { readonly keyId: string; readonly client?: KMSClient }) {
    this.keyId = options.keyId;
    this.client = options.client ?? new KMSClient({});
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const digest = createHash('sha256').update(message).digest();
    try {
      const answer = await this.client.send(
        new SignCommand({
          KeyId: this.keyId,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!answer.Signature) throw new Error('KMS returned no signature');
      return answer.Signature;
    } catch (error: unknown) {
      throw new StoreError(`KMS could not sign with ${this.keyId}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  publicKeyPem(): Promise<string> {
    this.publicKey ??= this.fetchPublicKey().catch((error: unknown) => {
      this.publicKey = undefined;
      throw error;
    });
    return this.publicKey;
  }

  private async fetchPublicKey(): Promise<string> {
    try {
      const answer = await this.client.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
      if (answer.KeySpec !== 'ECC_NIST_P256' || answer.KeyUsage !== 'SIGN_VERIFY' || !answer.PublicKey) {
        throw new Error(
          `the key is ${answer.KeySpec ?? '?'} for ${answer.KeyUsage ?? '?'}, not ECC_NIST_P256 for SIGN_VERIFY`,
        );
      }
      return createPublicKey({ key: Buffer.from(answer.PublicKey), format: 'der', type: 'spki' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
    } catch (error: unknown) {
      throw new StoreError(`KMS could not give the public key of ${this.keyId}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
}
