import { describe, expect, it } from 'vitest';
import {
  csvField,
  toExceptionsCsv,
  toManifestJson,
  toPopulationCsv,
} from '../../lambdas/adapters/pdf/pack-files.ts';
import type { PackModel } from '../../lambdas/core/pack-model.ts';
import { canonicalJson } from '../../lambdas/evidence/canonical-json.ts';
import { buildPackModel } from '../fixtures/pack-model.ts';

/** Splits RFC 4180 CSV into records of fields (quoted fields may hold commas, quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  return records;
}

function withTrickyValues(model: PackModel): PackModel {
  const [first, second, ...rest] = model.population;
  const exception = model.exceptions[0]!;
  return {
    ...model,
    population: [{ ...first!, repo: 'acme/a,b', author: 'say "hi"' }, { ...second!, verdicts: {} }, ...rest],
    exceptions: [
      { ...exception, reason: 'line one\r\nline two, with "quotes"' },
      ...model.exceptions.slice(1),
    ],
  };
}

describe('population.csv', () => {
  it('has the fixed header then one column per control id of the profile', () => {
    const model = buildPackModel({ changes: 20, exceptionsEvery: 5, seed: 1 });
    const header = toPopulationCsv(model).split('\r\n')[0];
    expect(header).toBe(
      `repo,change_type,pr_number,commit_sha,merged_at,author,${model.controlIds.join(',')}`,
    );
  });

  it('writes one record per change with an empty pr_number for a direct push', () => {
    const model = buildPackModel({ changes: 120, exceptionsEvery: 5, seed: 1 });
    const records = parseCsv(toPopulationCsv(model));
    expect(records).toHaveLength(model.population.length + 1);
    const pushIndex = model.population.findIndex((p) => p.changeType === 'direct_push');
    const push = records[pushIndex + 1]!;
    expect(push[1]).toBe('direct_push');
    expect(push[2]).toBe('');
    expect(push[3]).toBe(model.population[pushIndex]!.commitSha);
  });

  it('quotes commas and quotes, and writes unknown for a control without a verdict', () => {
    const model = withTrickyValues(buildPackModel({ changes: 10, exceptionsEvery: 3, seed: 2 }));
    const records = parseCsv(toPopulationCsv(model));
    expect(records[1]![0]).toBe('acme/a,b');
    expect(records[1]![5]).toBe('say "hi"');
    expect(records[2]!.slice(6)).toEqual(model.controlIds.map(() => 'unknown'));
    for (const record of records.slice(1)) {
      for (const cell of record.slice(6))
        expect(['pass', 'fail', 'not_applicable', 'unknown']).toContain(cell);
    }
  });
});

describe('exceptions.csv', () => {
  it('has exactly the specified header', () => {
    const csv = toExceptionsCsv(buildPackModel({ changes: 10, exceptionsEvery: 3, seed: 3 }));
    expect(csv.split('\r\n')[0]).toBe(
      'repo,change_type,pr_number,commit_sha,control,reason,evidence_key,evidence_version',
    );
  });

  it('keeps a reason with line breaks and quotes inside one quoted field', () => {
    const model = withTrickyValues(buildPackModel({ changes: 10, exceptionsEvery: 3, seed: 3 }));
    const records = parseCsv(toExceptionsCsv(model));
    expect(records).toHaveLength(model.exceptions.length + 1);
    expect(records[1]![5]).toBe('line one\r\nline two, with "quotes"');
    expect(records[1]![7]).toBe(model.exceptions[0]!.evidenceVersion);
  });

  it('quotes a field only when it must', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField('a\nb')).toBe('"a\nb"');
  });
});

describe('manifest.json', () => {
  it('is canonical JSON carrying the entries, the digest and what the pack covers', () => {
    const model = buildPackModel({ changes: 15, exceptionsEvery: 4, seed: 4 });
    const text = toManifestJson(model);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(canonicalJson(parsed)).toBe(text);
    expect(parsed.manifestDigest).toBe(model.manifestDigest);
    expect(parsed.entries).toEqual(model.manifest);
    expect(parsed.period).toEqual(model.period);
    expect((parsed.profile as { id: string }).id).toBe('clerk-cm01');
  });

  it('is the same string for the same model, whatever the key order of the input', () => {
    const model = buildPackModel({ changes: 5, exceptionsEvery: 2, seed: 5 });
    const reordered: PackModel = {
      ...model,
      manifest: model.manifest.map((e) => ({
        retainUntil: e.retainUntil,
        sha256: e.sha256,
        versionId: e.versionId,
        key: e.key,
      })),
    };
    expect(toManifestJson(reordered)).toBe(toManifestJson(model));
  });
});
