import PDFDocument from 'pdfkit';
import type { SampleItemSummary } from '../../app/sample.ts';
import { TOOL_NAME } from '../../version.ts';
import { PackRenderError } from './errors.ts';
import { resolvePackFonts } from './fonts.ts';

/**
 * A one-page PDF summary of one sampled change: what it is, its verdict per control with the
 * reasons, and the evidence objects (key, version, SHA-256) the bundle holds. Deterministic: the
 * creation date is the pack's generation time, so drawing a sample twice gives the same bytes.
 */
export async function renderSampleSummary(item: SampleItemSummary): Promise<Uint8Array> {
  const fonts = resolvePackFonts();
  const created = new Date(item.generatedAt);
  const doc = new PDFDocument({
    size: 'LETTER',
    margin: 36,
    autoFirstPage: true,
    pdfVersion: '1.7',
    font: fonts.regular,
    info: {
      Title: `Audit sample item ${item.position} — ${item.change}`,
      Creator: `${TOOL_NAME} ${item.toolVersion}`,
      Producer: 'PDFKit',
      CreationDate: created,
    },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve());
    doc.on('error', (error: unknown) => reject(new PackRenderError('pdfkit failed', { cause: error })));
  });
  const bottom = doc.page.height - 36;
  // One page: anything that does not fit is cut with an ellipsis; item.json holds it all.
  const write = (text: string, font: string, size: number, options: PDFKit.Mixins.TextOptions = {}) => {
    const room = bottom - doc.y;
    if (room < size * 1.3) return;
    doc
      .font(font)
      .fontSize(size)
      .text(text, { height: room, ellipsis: true, ...options });
  };
  write(`Audit sample — item ${item.position} of ${item.of}`, fonts.bold, 15);
  write(`${item.org} · ${item.period} · ${item.profile} · seed ${item.seed}`, fonts.regular, 9);
  doc.moveDown(0.4);
  write(item.change, fonts.bold, 11);
  for (const line of item.facts) write(line, fonts.regular, 8.5);
  doc.moveDown(0.4);
  write('Verdicts', fonts.bold, 11);
  for (const j of item.judgements) {
    write(`${j.control}: ${j.verdict}`, fonts.condensedBold, 8.5);
    write(j.reasons.join(' · ') || '—', fonts.condensed, 7.5, { indent: 12 });
  }
  doc.moveDown(0.4);
  write('Evidence objects in this bundle (key, version, SHA-256)', fonts.bold, 11);
  for (const e of item.evidence)
    write(`${e.key}\n  version ${e.versionId}  sha256 ${e.sha256}`, fonts.mono, 6.5);
  doc.end();
  await finished;
  return new Uint8Array(Buffer.concat(chunks));
}
