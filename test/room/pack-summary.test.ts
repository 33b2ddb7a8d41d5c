import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../lambdas/evidence/canonical-json.ts';
import { checkPackSummary, type PackSummary, SUMMARY_FORMAT } from '../../lambdas/pack/pack-summary.ts';

/**
 * The room shows a pack's summary figures only when the summary is signed by the pack's key and
 * names the pack's current seal: an edited summary, one signed by another key, or one left over
 * from an earlier issue of the pack must not pass for the pack's own figures.
 */
function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const SEAL = 'a'.repeat(64);

function summaryBytes(overrides: Partial<PackSummary> = {}): Uint8Array {
  const summary: PackSummary = {
    format: SUMMARY_FORMAT,
    org: 'acme',
    period: { label: '2026-10', from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' },
    profile: { id: 'clerk-cm01', name: 'Clerk' },
    generatedAt: '2026-11-01T06:00:00Z',
    sealSha256: SEAL,
    manifestDigest: 'b'.repeat(64),
    population: 3,
    exceptions: 1,
    controls: [],
    metrics: [],
    unknowns: { total: 0, fullyEvidenced: true, byCause: [] },
    gaps: 0,
    retention: {
      location: 's3://b',
      immutable: true,
      versioning: 'Enabled',
      lockMode: 'COMPLIANCE',
      defaultRetentionDays: 365,
      verdict: 'pass',
      notes: [],
    },
    incomplete: null,
    changes: [],
    ...overrides,
  };
  return new TextEncoder().encode(canonicalJson(summary));
}

function signed(bytes: Uint8Array, key: ReturnType<typeof keyPair>): Uint8Array {
  return new Uint8Array(sign('sha256', bytes, { key: key.privateKey, dsaEncoding: 'der' }));
}

describe('the pack summary the room reads', () => {
  const packKey = keyPair();

  it('is used when signed by the pack key and bound to the current seal', () => {
    const bytes = summaryBytes();
    const check = checkPackSummary(bytes, signed(bytes, packKey), {
      sha256: SEAL,
      publicKeyPem: packKey.pem,
    });
    expect(check.status).toBe('verified');
  });

  it('is refused when edited after signing (an exception count lowered)', () => {
    const bytes = summaryBytes();
    const signature = signed(bytes, packKey);
    const edited = summaryBytes({ exceptions: 0 });
    const check = checkPackSummary(edited, signature, { sha256: SEAL, publicKeyPem: packKey.pem });
    expect(check).toMatchObject({ status: 'not-verified', problem: expect.stringMatching(/signature/) });
  });

  it('is refused when signed by another key', () => {
    const bytes = summaryBytes();
    const check = checkPackSummary(bytes, signed(bytes, keyPair()), {
      sha256: SEAL,
      publicKeyPem: packKey.pem,
    });
    expect(check.status).toBe('not-verified');
  });

  it('is refused when it belongs to another issue of the pack (another seal)', () => {
    const bytes = summaryBytes({ sealSha256: 'c'.repeat(64) });
    const check = checkPackSummary(bytes, signed(bytes, packKey), {
      sha256: SEAL,
      publicKeyPem: packKey.pem,
    });
    expect(check).toMatchObject({
      status: 'not-verified',
      problem: expect.stringMatching(/not the pack's current seal/),
    });
  });

  it('is refused without a signature, and absent for a pack packed before summaries', () => {
    expect(
      checkPackSummary(summaryBytes(), undefined, { sha256: SEAL, publicKeyPem: packKey.pem }).status,
    ).toBe('not-verified');
    expect(checkPackSummary(undefined, undefined, { sha256: SEAL, publicKeyPem: packKey.pem }).status).toBe(
      'absent',
    );
  });
});
