import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsPackSigner } from '../../lambdas/adapters/kms-signer.ts';
import { LocalPackSigner } from '../../lambdas/adapters/local-signer.ts';
import { checkSealSignature, publicKeyFingerprint } from '../../lambdas/pack/seal.ts';

/**
 * No KMS server exists to run here, so the adapter is tested against a small HTTP server that
 * speaks KMS's JSON 1.1 protocol (`X-Amz-Target: TrentService.<Operation>`) for the two
 * operations the adapter calls, signing with a real P-256 key. What is tested is the mapping:
 * the request the SDK sends (key id, DIGEST message type, algorithm) and the use of the answer
 * (DER signature, DER SubjectPublicKeyInfo), checked with node:crypto as openssl would.
 */
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0b0c7b8e-1111-2222-3333-444455556666';
let server: Server;
let endpoint: string;
let keyPair: { privateKey: KeyObject; publicKey: KeyObject };
const requests: { target: string; body: Record<string, unknown> }[] = [];
let answerKeySpec = 'ECC_NIST_P256';
const messagesByDigest = new Map<string, Uint8Array>();
const expectSigning = (message: Uint8Array) =>
  messagesByDigest.set(createHash('sha256').update(message).digest('hex'), message);

beforeAll(async () => {
  keyPair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    requests.push({ target, body });
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    if (body.KeyId !== KEY_ARN) {
      res.statusCode = 400;
      res.end(
        JSON.stringify({
          __type: 'NotFoundException',
          message: `Key '${String(body.KeyId)}' does not exist`,
        }),
      );
      return;
    }
    if (target === 'TrentService.GetPublicKey') {
      const der = keyPair.publicKey.export({ type: 'spki', format: 'der' });
      res.end(
        JSON.stringify({
          KeyId: KEY_ARN,
          KeySpec: answerKeySpec,
          KeyUsage: 'SIGN_VERIFY',
          PublicKey: der.toString('base64'),
          SigningAlgorithms: ['ECDSA_SHA_256'],
        }),
      );
      return;
    }
    if (target === 'TrentService.Sign') {
      // KMS signs the digest it is given as is (MessageType DIGEST). node:crypto cannot sign a
      // bare digest, so this stand-in signs the message the test registered under that digest:
      // the same ECDSA signature over the same SHA-256.
      const digest = Buffer.from(String(body.Message), 'base64').toString('hex');
      const message = messagesByDigest.get(digest);
      if (!message) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: 'ValidationException',
            message: 'not the SHA-256 of a registered message',
          }),
        );
        return;
      }
      const signature = sign('sha256', message, { key: keyPair.privateKey, dsaEncoding: 'der' });
      res.end(
        JSON.stringify({
          KeyId: KEY_ARN,
          Signature: signature.toString('base64'),
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      return;
    }
    res.statusCode = 400;
    res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(): KMSClient {
  return new KMSClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

describe('KmsPackSigner', () => {
  it('sends the SHA-256 digest with MessageType DIGEST and ECDSA_SHA_256, and returns a DER signature openssl accepts', async () => {
    const signer = new KmsPackSigner({ keyId: KEY_ARN, client: client() });
    const message = new TextEncoder().encode('{"format":"cm01-pack-seal/1"}');
    expectSigning(message);
    const signature = await signer.sign(message);
    const pem = await signer.publicKeyPem();
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(checkSealSignature(message, signature, pem)).toEqual({ ok: true });
    expect(checkSealSignature(new TextEncoder().encode('{"format":"other"}'), signature, pem).ok).toBe(false);
    const signCall = requests.find((r) => r.target === 'TrentService.Sign');
    expect(signCall?.body).toMatchObject({
      KeyId: KEY_ARN,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(Buffer.from(String(signCall?.body.Message), 'base64')).toHaveLength(32);
    expect(publicKeyFingerprint(pem)).toBe(
      publicKeyFingerprint(keyPair.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    );
  });

  it('signs in the same format as the local key file', async () => {
    const local = await LocalPackSigner.open(
      `${process.env.TMPDIR ?? '/tmp'}/cm01-kms-test-${process.pid}.pem`,
    );
    const message = new TextEncoder().encode('same seal');
    expectSigning(message);
    const fromLocal = await local.sign(message);
    expect(checkSealSignature(message, fromLocal, await local.publicKeyPem())).toEqual({ ok: true });
    // Both are DER SEQUENCEs of two INTEGERs.
    const fromKms = await new KmsPackSigner({ keyId: KEY_ARN, client: client() }).sign(message);
    expect(fromLocal[0]).toBe(0x30);
    expect(fromKms[0]).toBe(0x30);
  });

  it('names the key when KMS refuses it', async () => {
    const signer = new KmsPackSigner({ keyId: 'alias/missing', client: client() });
    await expect(signer.sign(new Uint8Array([1]))).rejects.toThrow(
      /KMS could not sign with alias\/missing: Key 'alias\/missing' does not exist/,
    );
  });

  it('refuses a key that is not ECC_NIST_P256', async () => {
    answerKeySpec = 'RSA_2048';
    try {
      const signer = new KmsPackSigner({ keyId: KEY_ARN, client: client() });
      await expect(signer.publicKeyPem()).rejects.toThrow(/not ECC_NIST_P256 for SIGN_VERIFY/);
    } finally {
      answerKeySpec = 'ECC_NIST_P256';
    }
  });
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
