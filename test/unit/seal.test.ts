import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { verifyPack } from '../../lambdas/app/verify-pack.ts';
import {
  DEFAULT_SIZE_TABLE_POPULATIONS,
  defaultSampleSize,
  drawSample,
  type PopulationItem,
} from '../../lambdas/pack/sample.ts';
import { checkSealSignature } from '../../lambdas/pack/seal.ts';
import { buildPackModel } from '../fixtures/pack-model.ts';

describe('seal signatures', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const message = new TextEncoder().encode('{"a":1}');
  const signature = sign('sha256', message, { key: ec.privateKey, dsaEncoding: 'der' });

  it('accepts the signature of the message by the key, and nothing else', () => {
    expect(checkSealSignature(message, signature, pem)).toEqual({ ok: true });
    expect(checkSealSignature(new TextEncoder().encode('{"a":2}'), signature, pem).ok).toBe(false);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(checkSealSignature(message, signature, other.toString()).ok).toBe(false);
  });

  it('refuses a key of another type or curve instead of verifying with it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaSignature = sign('sha256', message, rsa.privateKey);
    expect(
      checkSealSignature(
        message,
        rsaSignature,
        rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ),
    ).toEqual({
      ok: false,
      problem: 'the public key is not an ECDSA P-256 key',
    });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const p384Signature = sign('sha256', message, { key: p384.privateKey, dsaEncoding: 'der' });
    expect(
      checkSealSignature(
        message,
        p384Signature,
        p384.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ).ok,
    ).toBe(false);
  });
});

describe('a pack without a seal', () => {
  it('fails verification offline, naming the missing seal files', async () => {
    const rendered = await renderPack(buildPackModel({ changes: 5, exceptionsEvery: 2, seed: 3 }));
    const result = await verifyPack({}, { pdf: rendered.pdf });
    expect(result.ok).toBe(false);
    expect(result.findings).toEqual([
      {
        subject: 'seal',
        problem:
          'the pack is not sealed: seal.json, seal.sig, public-key.pem missing among its embedded files',
      },
    ]);
  });
});

describe('audit sampling', () => {
  const population: PopulationItem[] = Array.from({ length: 200 }, (_, i) => ({
    repo: `acme/r${i % 7}`,
    changeType: 'pull_request',
    prNumber: String(i),
    commitSha: i.toString(16).padStart(40, '0'),
    mergedAt: '2026-10-01T00:00:00Z',
    verdicts: {},
  }));

  it('draws the same items for a seed whatever the order of the population, and others for another seed', () => {
    const a = drawSample(population, 's1', 10);
    const b = drawSample([...population].reverse(), 's1', 10);
    expect(b).toEqual(a);
    expect(drawSample(population, 's2', 10).map((x) => x.item.prNumber)).not.toEqual(
      a.map((x) => x.item.prNumber),
    );
  });

  it('defaults to 59 for a large population (AICPA Table A-1: 5 % risk, 5 % tolerable, 0 expected) and to all of a tiny one', () => {
    expect(defaultSampleSize(100_000)).toBe(59);
    expect(defaultSampleSize(10)).toBe(10);
    expect(defaultSampleSize(0)).toBe(0);
    // Never more than the population, and enough that 5 % deviations go unseen at most 5 % of the time.
    for (const n of [1, 2, 19, 20, 21, 57, 300, 999]) expect(defaultSampleSize(n)).toBeLessThanOrEqual(n);
  });

  it('is the table docs/verification.md documents', () => {
    const doc = readFileSync(new URL('../../docs/verification.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| ([\d,]+) \| (\d+) \|$/gm)].map((m) => [
      Number(m[1]?.replaceAll(',', '')),
      Number(m[2]),
    ]);
    expect(rows).toEqual(DEFAULT_SIZE_TABLE_POPULATIONS.map((n) => [n, defaultSampleSize(n)]));
  });
});
