import PDFDocument from 'pdfkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackFormatError } from '../../lambdas/adapters/pdf/errors.ts';
import { readPackAttachments } from '../../lambdas/adapters/pdf/read-attachments.ts';
import { type RenderedPack, renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { buildPackModel } from '../fixtures/pack-model.ts';

async function plainPdf(): Promise<Uint8Array> {
  const doc = new PDFDocument({ font: 'Courier' });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.text('not a pack');
  doc.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

/** Offset of the first byte of the compressed stream of the named attachment. */
function attachmentStreamOffset(pdf: Uint8Array, subtype: string): number {
  const text = Buffer.from(pdf).toString('latin1');
  const at = text.indexOf(`/Subtype /${subtype}`);
  return text.indexOf('stream\n', at) + 'stream\n'.length;
}

describe('readPackAttachments', () => {
  let pack: RenderedPack;

  beforeAll(async () => {
    pack = await renderPack(buildPackModel({ changes: 40, exceptionsEvery: 6, seed: 9 }));
  });

  it('returns the three attachments of a pack, byte for byte', () => {
    const files = readPackAttachments(pack.pdf);
    expect(Buffer.from(files.get('manifest.json')!).toString('utf8')).toBe(pack.manifestJson);
    expect(Buffer.from(files.get('exceptions.csv')!).toString('utf8')).toBe(pack.exceptionsCsv);
    expect(files.size).toBe(3);
  });

  it('refuses a file that is not a PDF', () => {
    expect(() => readPackAttachments(new TextEncoder().encode('{"not":"a pdf"}'))).toThrow(/not a PDF file/);
  });

  it('refuses a PDF without embedded files as not a pack', async () => {
    const pdf = await plainPdf();
    expect(() => readPackAttachments(pdf)).toThrow(PackFormatError);
    expect(() => readPackAttachments(pdf)).toThrow(/not an evidence pack/);
  });

  it('refuses a truncated pack', () => {
    const truncated = pack.pdf.subarray(0, Math.floor(pack.pdf.length * 0.8));
    expect(() => readPackAttachments(truncated)).toThrow(/damaged PDF/);
  });

  it('refuses a pack whose attachment bytes were altered', () => {
    const altered = new Uint8Array(pack.pdf);
    const offset = attachmentStreamOffset(altered, 'application#2Fjson') + 40;
    altered[offset] = altered[offset]! ^ 0xff;
    expect(() => readPackAttachments(altered)).toThrow(/manifest\.json is corrupted/);
  });

  it('refuses a pack whose cross-reference table points at the wrong place', () => {
    const text = Buffer.from(pack.pdf).toString('latin1');
    const broken = text.replace(/startxref\n(\d+)/, (_, n: string) => `startxref\n${Number(n) - 7}`);
    expect(() => readPackAttachments(new Uint8Array(Buffer.from(broken, 'latin1')))).toThrow(
      /cross-reference/,
    );
  });
});
