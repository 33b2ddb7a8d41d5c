import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describeError, InputError, StoreError } from '../errors.ts';
import type { PackSigner } from '../evidence/ports.ts';
import { isMissing } from './local-store.ts';

/** Where the embedded store keeps its signing key: `DIR/keys/pack-signing-key.pem`. */
export function localSigningKeyPath(storeDir: string): string {
  return join(storeDir, 'keys', 'pack-signing-key.pem');
}

/**
 * Signs seals with an ECDSA P-256 key in a PEM file (PKCS #8), created on first use with mode
 * 0600. Same algorithm and signature format as the KMS key: a pack sealed on one machine is
 * checked exactly like one sealed on AWS.
 */
export class LocalPackSigner implements PackSigner {
  private constructor(private readonly privateKey: KeyObject) {}

  /** Named by its public key, not its path: the same key moved elsewhere seals the same. */
  get keyId(): string {
    const der = createPublicKey(this.privateKey).export({ type: 'spki', format: 'der' });
    return `local:sha256:${createHash('sha256').update(der).digest('hex')}`;
  }

  /** Open the key file, creating it (and its folder) when absent. */
  static async open(path: string): Promise<LocalPackSigner> {
    const file = resolve(path);
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error: unknown) {
      if (!isMissing(error)) {
        throw new StoreError(`cannot read the signing key ${file}: ${describeError(error)}`, {
          cause: error,
        });
      }
      pem = await createKeyFile(file);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (error: unknown) {
      throw new InputError('CM01_SIGNING_KEY', `${file} is not a PEM private key`, { cause: error });
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new InputError('CM01_SIGNING_KEY', `${file} is not an ECDSA P-256 private key`);
    }
    return new LocalPackSigner(key);
  }

  async publicKeyPem(): Promise<string> {
    return createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' }));
  }
}

/**
 * A key file opened on first use: choosing the signer writes nothing, so a command refused for a
 * bad option leaves no key file (or store folder) behind.
 */
export class LazyLocalPackSigner implements PackSigner {
  private opened: Promise<LocalPackSigner> | undefined;
  private id: string | undefined;

  constructor(private readonly path: string) {}

  get keyId(): string {
    if (this.id === undefined) throw new Error('the key id is known once the key is opened');
    return this.id;
  }

  async publicKeyPem(): Promise<string> {
    return (await this.open()).publicKeyPem();
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return (await this.open()).sign(message);
  }

  private async open(): Promise<LocalPackSigner> {
    this.opened ??= LocalPackSigner.open(this.path).then((signer) => {
      this.id = signer.keyId;
      return signer;
    });
    return this.opened;
  }
}

/** Create the key file exclusively: two processes starting at once end with one key. */
async function createKeyFile(file: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(pem);
    } finally {
      await handle.close();
    }
    return pem;
  } catch (error: unknown) {
    if (error && typeof error === 'object' && 'code' in error && error.code === 'EEXIST') {
      return readFile(file, 'utf8');
    }
    throw new StoreError(`cannot create the signing key ${file}: ${describeError(error)}`, { cause: error });
  }
}
