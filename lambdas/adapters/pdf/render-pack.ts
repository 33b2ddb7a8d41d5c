import { createHash } from 'node:crypto';
import PDFDocument from 'pdfkit';
import type { MissingSource, PackModel, Verdict } from '../../core/pack-model.ts';
import type { PackSealAttachment } from '../../pack/seal.ts';
import { TOOL_NAME } from '../../version.ts';
import { Canvas, type PageGeometry, type PdfkitSurface, type Rgb } from './canvas.ts';
import { PackRenderError } from './errors.ts';
import { type PackFontPaths, type PackFontRole, resolvePackFonts } from './fonts.ts';
import { GlyphFont, type PdfkitEmbeddedFont } from './glyph-font.ts';
import { toExceptionsCsv, toManifestJson, toPopulationCsv } from './pack-files.ts';
import { drawTable, type TableCell, type TableColumn, type TableStyle } from './table.ts';
import { wrapPreformatted, wrapWords } from './wrap.ts';

export interface RenderedPack {
  readonly pdf: Uint8Array;
  readonly manifestJson: string;
  readonly populationCsv: string;
  readonly exceptionsCsv: string;
  readonly pageCount: number;
}

export interface RenderPackOptions {
  /** Folder holding the files of `PACK_FONT_FILES`; default: the `dejavu-fonts-ttf` package. */
  readonly fontDir?: string;
  /**
   * Seals the pack: called with the bytes of the three machine-readable files before the PDF is
   * drawn; what it returns is printed on the cover and embedded beside them.
   */
  readonly seal?: (files: Readonly<Record<SealedFileName, Uint8Array>>) => Promise<PackSealAttachment>;
}

type SealedFileName = (typeof PACK_ATTACHMENTS)[keyof typeof PACK_ATTACHMENTS];

/** Names of the files embedded in the PDF (PDF/A-3 associated files, relationship `Data`). */
export const PACK_ATTACHMENTS = {
  manifest: 'manifest.json',
  population: 'population.csv',
  exceptions: 'exceptions.csv',
} as const;

/**
 * Renders the evidence pack of a period: a PDF/A-3b document with the population, exceptions and
 * manifest embedded, plus the same three files as strings. Deterministic: the output depends on
 * the model alone (the creation date is `model.generatedAt`), so two renders are byte-identical
 * in any process and time zone.
 */
export async function renderPack(model: PackModel, options: RenderPackOptions = {}): Promise<RenderedPack> {
  const manifestJson = toManifestJson(model);
  const populationCsv = toPopulationCsv(model);
  const exceptionsCsv = toExceptionsCsv(model);
  const attachments: { name: string; type: string; text: string; about: string; bytes: Buffer }[] = [
    {
      name: PACK_ATTACHMENTS.manifest,
      type: 'application/json',
      text: manifestJson,
      about: 'Evidence manifest',
    },
    {
      name: PACK_ATTACHMENTS.population,
      type: 'text/csv',
      text: populationCsv,
      about: 'Population with verdicts',
    },
    {
      name: PACK_ATTACHMENTS.exceptions,
      type: 'text/csv',
      text: exceptionsCsv,
      about: 'Exceptions register',
    },
  ].map((a) => ({ ...a, bytes: Buffer.from(a.text, 'utf8') }));
  const seal = options.seal
    ? await options.seal({
        [PACK_ATTACHMENTS.manifest]: attachments[0]!.bytes,
        [PACK_ATTACHMENTS.population]: attachments[1]!.bytes,
        [PACK_ATTACHMENTS.exceptions]: attachments[2]!.bytes,
      })
    : undefined;
  if (seal) {
    attachments.push(
      {
        name: 'seal.json',
        type: 'application/json',
        text: '',
        about: 'Seal: what this pack is and the SHA-256 of each file above (signed)',
        bytes: Buffer.from(seal.sealJson),
      },
      {
        name: 'seal.sig',
        type: 'application/octet-stream',
        text: '',
        about: 'ECDSA P-256 / SHA-256 signature of seal.json (DER)',
        bytes: Buffer.from(seal.signature),
      },
      {
        name: 'public-key.pem',
        type: 'application/x-pem-file',
        text: '',
        about: 'Public key that verifies seal.sig',
        bytes: Buffer.from(seal.publicKeyPem, 'utf8'),
      },
    );
  }

  const fontPaths = resolvePackFonts(options.fontDir);
  const generatedAt = parseInstant(model.generatedAt);
  let doc: PDFKit.PDFDocument;
  try {
    doc = new PDFDocument({
      size: 'LETTER',
      layout: 'landscape',
      margin: 0,
      autoFirstPage: false,
      pdfVersion: '1.7',
      subset: 'PDF/A-3b',
      lang: 'en',
      displayTitle: true,
      // The default font would be Helvetica, which PDF/A forbids because it is not embedded.
      font: fontPaths.regular,
      info: documentInfo(model, generatedAt),
    });
  } catch (error: unknown) {
    throw new PackRenderError('pdfkit could not start a document', { cause: error });
  }
  const fonts = loadFonts(doc, fontPaths);
  const chunks: Buffer[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve());
    doc.on('error', (error: unknown) =>
      reject(new PackRenderError('pdfkit failed writing the pack', { cause: error })),
    );
  });

  const attachmentFacts = attachments.map((a) => ({
    name: a.name,
    bytes: a.bytes.byteLength,
    sha256: createHash('sha256').update(a.bytes).digest('hex'),
  }));
  const measured = composePack(null, model, fonts, {
    totalPages: 0,
    sectionPages: new Map(),
    attachmentFacts,
    seal,
  });
  const drawn = composePack(doc as unknown as PdfkitSurface, model, fonts, {
    totalPages: measured.pages,
    sectionPages: measured.sectionPages,
    attachmentFacts,
    seal,
  });
  if (drawn.pages !== measured.pages) {
    throw new PackRenderError(
      `layout passes disagree: measured ${measured.pages} pages, drew ${drawn.pages}`,
    );
  }

  for (const a of attachments) {
    embedFile(doc as unknown as PdfkitAttachmentSurface, a.bytes, {
      name: a.name,
      type: a.type,
      description: a.about,
      date: generatedAt,
    });
  }
  // Without `expanded` pdfkit leaves /Count off the outline root, which PDF/A validators reject.
  (doc.outline as unknown as { options: { expanded: boolean } }).options = { expanded: true };
  doc.end();
  await finished;
  const pdf = Buffer.concat(chunks);
  chunks.length = 0;
  return {
    // A plain Uint8Array over the joined bytes, not a copy of them (tens of megabytes at 50,000 changes).
    pdf: new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength),
    manifestJson,
    populationCsv,
    exceptionsCsv,
    pageCount: drawn.pages,
  };
}

// ---------------------------------------------------------------------------------------------
// Look

const INK: Rgb = [0.11, 0.12, 0.15];
const MUTED: Rgb = [0.38, 0.4, 0.45];
const ACCENT: Rgb = [0.06, 0.2, 0.4];
const LINK: Rgb = [0.08, 0.3, 0.68];
/** The INCOMPLETE mark of a pack whose collection failed. */
const ALERT: Rgb = [0.7, 0.08, 0.08];
const HEADER_FILL: Rgb = [0.89, 0.91, 0.95];
const ZEBRA: Rgb = [0.96, 0.965, 0.975];
const RULE: Rgb = [0.8, 0.82, 0.86];
const VERDICT_COLOR: Readonly<Record<Verdict, Rgb>> = {
  pass: [0.1, 0.45, 0.2],
  fail: [0.75, 0.1, 0.1],
  not_applicable: [0.5, 0.5, 0.52],
  unknown: [0.72, 0.45, 0],
};
/** Compact marks for the population register; the CSV carries the full words. */
export const VERDICT_GLYPH: Readonly<Record<Verdict, string>> = {
  pass: '✓',
  fail: '✗',
  not_applicable: '–',
  unknown: '?',
};
const VERDICT_WORD: Readonly<Record<Verdict, string>> = {
  pass: 'pass',
  fail: 'fail',
  not_applicable: 'not applicable',
  unknown: 'unknown',
};

/** US Letter, landscape: the registers need the width. */
const PAGE: PageGeometry = {
  width: 792,
  height: 612,
  left: 40,
  right: 752,
  contentTop: 58,
  contentBottom: 572,
};
const CONTENT_WIDTH = PAGE.right - PAGE.left;
const BODY_SIZE = 8.5;
const TABLE_SIZE = 6.5;
/** Monospaced identifiers (SHAs, keys, version IDs); a SHA column is sized to hold 40 hex digits. */
const MONO_SIZE = 5.8;

type Fonts = Readonly<Record<PackFontRole, GlyphFont>>;

function loadFonts(doc: PDFKit.PDFDocument, paths: PackFontPaths): Fonts {
  const load = (path: string): GlyphFont => {
    doc.font(path);
    return new GlyphFont((doc as unknown as { _font: PdfkitEmbeddedFont })._font);
  };
  // A fixed order gives the fonts the same resource names (F1…) in every render.
  return {
    regular: load(paths.regular),
    bold: load(paths.bold),
    condensed: load(paths.condensed),
    condensedBold: load(paths.condensedBold),
    mono: load(paths.mono),
  };
}

function tableStyle(fonts: Fonts): TableStyle {
  return {
    headerFont: fonts.condensedBold,
    headerSize: TABLE_SIZE,
    headerColor: ACCENT,
    headerFill: HEADER_FILL,
    textColor: INK,
    zebraFill: ZEBRA,
    ruleColor: RULE,
    paddingX: 2.5,
    paddingY: 1.6,
    lineSpacing: 1.22,
  };
}

// ---------------------------------------------------------------------------------------------
// Composition: the same code measures (no surface) and draws.

interface ComposeInputs {
  readonly totalPages: number;
  readonly sectionPages: ReadonlyMap<string, number>;
  readonly attachmentFacts: readonly { name: string; bytes: number; sha256: string }[];
  readonly seal: PackSealAttachment | undefined;
}

interface ComposeResult {
  readonly pages: number;
  readonly sectionPages: Map<string, number>;
}

const SECTIONS = [
  { id: 'summary', title: 'Summary' },
  { id: 'exceptions', title: 'Exceptions register' },
  { id: 'population', title: 'Population register' },
  { id: 'overrides', title: 'Overrides and emergency changes' },
  { id: 'appendix', title: 'Appendix: policy profile and method' },
] as const;

function composePack(
  surface: PdfkitSurface | null,
  model: PackModel,
  fonts: Fonts,
  inputs: ComposeInputs,
): ComposeResult {
  const sectionPages = new Map<string, number>();
  const canvas = new Canvas(surface, PAGE, inputs.totalPages, (c) => decoratePage(c, model, fonts));
  const writer = new PackWriter(canvas, fonts, model, sectionPages, inputs);
  writer.cover();
  writer.summary();
  writer.exceptions();
  writer.population();
  writer.overridesAndEmergencies();
  writer.appendix();
  canvas.flush();
  return { pages: canvas.pageNumber, sectionPages };
}

function decoratePage(canvas: Canvas, model: PackModel, fonts: Fonts): void {
  if (!canvas.drawing) return;
  const size = 7;
  const left = `${model.incomplete ? 'INCOMPLETE · ' : ''}CM-01 change-management evidence · ${model.org} · ${model.period.label}`;
  const right = `${model.profile.name} (${model.profile.id})`;
  const f = fonts.condensed;
  canvas.text({ font: f, size, color: MUTED, x: PAGE.left, top: 28, text: f.displayable(left) });
  const rightText = f.displayable(right);
  canvas.text({
    font: f,
    size,
    color: MUTED,
    x: PAGE.right - f.widthOf(rightText, size),
    top: 28,
    text: rightText,
  });
  canvas.line(PAGE.left, 40, PAGE.right, 40, RULE, 0.5);
  canvas.line(PAGE.left, 580, PAGE.right, 580, RULE, 0.5);
  const footLeft = f.displayable(
    `${TOOL_NAME} ${model.toolVersion} · generated ${model.generatedAt} · manifest SHA-256 ${model.manifestDigest}`,
  );
  canvas.text({ font: f, size, color: MUTED, x: PAGE.left, top: 585, text: footLeft });
  const pageLabel = `Page ${canvas.pageNumber} of ${canvas.totalPages}`;
  canvas.text({
    font: fonts.condensedBold,
    size,
    color: INK,
    x: PAGE.right - fonts.condensedBold.widthOf(pageLabel, size),
    top: 585,
    text: pageLabel,
  });
  canvas.flush();
}

class PackWriter {
  private readonly canvas: Canvas;
  private readonly fonts: Fonts;
  private readonly model: PackModel;
  private readonly sectionPages: Map<string, number>;
  private readonly inputs: ComposeInputs;
  private readonly style: TableStyle;
  /** Wide enough for a whole 40-hex commit SHA on one line. */
  private readonly shaWidth: number;

  constructor(
    canvas: Canvas,
    fonts: Fonts,
    model: PackModel,
    sectionPages: Map<string, number>,
    inputs: ComposeInputs,
  ) {
    this.canvas = canvas;
    this.fonts = fonts;
    this.model = model;
    this.sectionPages = sectionPages;
    this.inputs = inputs;
    this.style = tableStyle(fonts);
    this.shaWidth = Math.ceil(fonts.mono.widthOf('0'.repeat(40), MONO_SIZE) + 2 * this.style.paddingX + 0.5);
  }

  cover(): void {
    const { canvas, fonts, model } = this;
    canvas.newPage();
    canvas.anchor('cover', 'Cover');
    canvas.y += 40;
    this.line('SOC 2 · CM-01 change management', fonts.bold, 11, MUTED);
    canvas.y += 4;
    this.line('Evidence pack', fonts.bold, 26, ACCENT);
    canvas.y += 6;
    this.paragraph(model.org, fonts.bold, 16, INK);
    canvas.y += 18;
    if (model.incomplete) this.incompleteMark(model.incomplete.missing);
    const exceptions = model.exceptions.length;
    this.keyValues([
      ['Organisation', model.org],
      ['Period', `${model.period.label} — from ${model.period.from} to ${model.period.to} (half-open, UTC)`],
      ['Policy profile', `${model.profile.name} (${model.profile.id})`],
      [
        'Profile versions in force',
        model.profile.versions.map((v) => `${v.version}, effective from ${v.effectiveFrom}`).join('\n') ||
          'none',
      ],
      ['Generated at', `${model.generatedAt} (latest write time among the evidence)`],
      ['Collector and renderer', `${TOOL_NAME} ${model.toolVersion}`],
      [
        'Evidence objects',
        Object.keys(model.evidenceCounts)
          .sort()
          .map((kind) => `${kind}: ${formatCount(model.evidenceCounts[kind] ?? 0)}`)
          .join(' · ') || 'none',
      ],
      ['Population', `${formatCount(model.population.length)} changes on protected default branches`],
      ['Exceptions', exceptions === 0 ? 'none' : `${formatCount(exceptions)} (see the exceptions register)`],
      [
        'Manifest',
        `${formatCount(model.manifest.length)} evidence objects, each with S3 key, version ID and SHA-256`,
      ],
      ['Manifest SHA-256', model.manifestDigest, fonts.mono],
      ...sealRows(this.inputs.seal, fonts.mono),
    ]);
    // cover: evidence completeness — the auditor's first question, answered before anything else.
    const u = model.unknowns;
    if (!u.fullyEvidenced) {
      canvas.y += 14;
      this.paragraph(
        `The population is not fully evidenced: ${formatCount(u.total)} verdict(s) are unknown` +
          (model.gaps.length > 0 ? ` and ${formatCount(model.gaps.length)} collection gap(s) stand` : '') +
          '. Unknown is never counted as a pass. Fix these sources, collect again and rebuild the pack:',
        fonts.bold,
        BODY_SIZE,
        VERDICT_COLOR.unknown,
      );
      for (const line of u.sourcesToFix) this.paragraph(`• ${line}`, fonts.regular, BODY_SIZE, INK, 8);
    } else {
      canvas.y += 14;
      this.paragraph(
        'Every change of the population is evidenced: no verdict is unknown and no collection gap stands.',
        fonts.regular,
        BODY_SIZE,
        MUTED,
      );
    }
    canvas.y += 14;
    this.paragraph(
      `Embedded in this PDF/A-3 document: ${PACK_ATTACHMENTS.manifest}, ${PACK_ATTACHMENTS.population} and ${PACK_ATTACHMENTS.exceptions} ` +
        '(the machine-readable manifest, population with verdicts, and exceptions). The manifest SHA-256 above is the digest of ' +
        'the canonical manifest; every verdict in this pack can be recomputed from the evidence objects it lists.',
      fonts.regular,
      BODY_SIZE,
      MUTED,
    );
  }

  /**
   * An auditor must not mistake this pack for a complete one: the mark comes before any figure,
   * and names every source that could not be read.
   */
  private incompleteMark(missing: readonly MissingSource[]): void {
    const { canvas, fonts } = this;
    this.line('INCOMPLETE', fonts.bold, 22, ALERT);
    canvas.y += 4;
    this.paragraph(
      `The collection for this pack failed for ${missing.length} source(s); it was rendered anyway on request ` +
        '(--allow-incomplete). Changes held only by these sources are missing from the population:',
      fonts.bold,
      BODY_SIZE,
      ALERT,
    );
    for (const m of missing) {
      this.paragraph(
        `• ${m.repo ?? this.model.org} — ${m.source}: ${m.reason}`,
        fonts.regular,
        BODY_SIZE,
        ALERT,
      );
    }
    canvas.y += 12;
  }

  summary(): void {
    const { canvas, fonts, model } = this;
    this.section('summary');
    this.subheading('Contents');
    for (const section of SECTIONS) {
      const page = this.inputs.sectionPages.get(section.id);
      const label = fonts.regular.displayable(section.title);
      const pageText = page === undefined ? '' : `page ${page}`;
      canvas.ensure(BODY_SIZE * 1.5);
      const top = canvas.y;
      canvas.text({ font: fonts.regular, size: BODY_SIZE, color: LINK, x: PAGE.left + 8, top, text: label });
      canvas.text({
        font: fonts.regular,
        size: BODY_SIZE,
        color: MUTED,
        x: PAGE.left + 240,
        top,
        text: pageText,
      });
      canvas.goTo(PAGE.left + 8, top, 280, BODY_SIZE * 1.3, section.id);
      canvas.y += BODY_SIZE * 1.5;
    }
    canvas.flush();
    canvas.y += 8;

    this.subheading('Controls');
    const controlColumns: TableColumn[] = [
      this.column('Control', 170),
      this.column('Requirement', 150),
      this.column('Pass', 40, 'right'),
      this.column('Fail', 40, 'right'),
      this.column('Exceptions', 48, 'right'),
      this.column('Not applicable', 52, 'right'),
      this.column('Unknown', 44, 'right'),
      this.column('Result', CONTENT_WIDTH - 544),
    ];
    drawTable(
      canvas,
      controlColumns,
      model.controls.map((c): TableCell[] => {
        const result = controlResult(c);
        return [
          { text: `${c.id}\n${c.title}`, font: fonts.condensedBold },
          { text: c.requirement },
          { text: formatCount(c.pass) },
          { text: formatCount(c.fail) },
          c.exceptions > 0
            ? { text: formatCount(c.exceptions), color: VERDICT_COLOR.fail, goTo: 'exceptions' }
            : { text: '0' },
          { text: formatCount(c.notApplicable) },
          { text: formatCount(c.unknown), ...(c.unknown > 0 ? { color: VERDICT_COLOR.unknown } : {}) },
          { text: result.text, color: result.color, ...(c.exceptions > 0 ? { goTo: 'exceptions' } : {}) },
        ];
      }),
      this.style,
    );
    canvas.y += 10;

    // summary: unknown verdicts per cause and per control.
    if (model.unknowns.byCause.length > 0) {
      this.subheading('Unknown verdicts by cause');
      drawTable(
        canvas,
        [
          this.column('Cause', 170),
          this.column('Unknown', 50, 'right'),
          this.column('Per control', 150),
          this.column('How to fix', CONTENT_WIDTH - 370),
        ],
        model.unknowns.byCause.map((entry): TableCell[] => [
          { text: `${entry.cause}\n${entry.title}` },
          { text: formatCount(entry.count), color: VERDICT_COLOR.unknown },
          {
            text: Object.entries(entry.controls)
              .map(([control, n]) => `${control}: ${formatCount(n)}`)
              .join('\n'),
          },
          { text: entry.fix },
        ]),
        this.style,
      );
      canvas.y += 10;
    }

    this.subheading('Metrics');
    drawTable(
      canvas,
      [
        this.column('Metric', 170),
        this.column('Measured', 150),
        this.column('Threshold', 60, 'right'),
        this.column('Verdict', 60),
        this.column('Detail', CONTENT_WIDTH - 440),
      ],
      model.metrics.map((m): TableCell[] => [
        { text: `${m.id}\n${m.title}`, font: fonts.condensedBold },
        {
          text:
            m.rate === null
              ? `${formatCount(m.numerator)} / ${formatCount(m.denominator)} (no denominator)`
              : `${formatCount(m.numerator)} / ${formatCount(m.denominator)} = ${formatPercent(m.rate)}`,
        },
        { text: `< ${formatPercent(m.threshold)}` },
        { text: VERDICT_WORD[m.verdict], color: VERDICT_COLOR[m.verdict] },
        { text: [...(m.proxy ? [m.proxy.replace(/^proxy/, 'PROXY')] : []), ...m.detail].join('\n') },
      ]),
      this.style,
    );
    canvas.y += 10;

    this.subheading('Completeness reconciliation');
    const c = model.completeness;
    this.keyValues([
      ['Default-branch commits', formatCount(c.defaultBranchCommits)],
      ['Merged pull requests', formatCount(c.mergedPullRequests)],
      ['Direct pushes', formatCount(c.directPushes)],
      ['Production deployments', formatCount(c.productionDeployments)],
      [
        'Differences',
        c.differences.length === 0 ? 'none' : `${formatCount(c.differences.length)}, listed below`,
      ],
    ]);
    if (c.differences.length > 0) {
      canvas.y += 4;
      drawTable(
        canvas,
        [
          this.column('Repository', 150),
          this.column('Reference', 180, 'left', 'mono'),
          this.column('Difference', CONTENT_WIDTH - 330),
        ],
        c.differences.map((d): TableCell[] => [{ text: d.repo }, { text: d.ref }, { text: d.note }]),
        this.style,
      );
    }
    canvas.y += 10;

    this.subheading('Collection gaps');
    this.keyValues([
      ['Sources consulted', model.sourcesConsulted.join('\n') || 'none'],
      [
        'Sources not configured',
        model.sourcesNotConfigured.length === 0
          ? 'none'
          : `${model.sourcesNotConfigured.join(', ')} — controls that depend on them are reported as unknown`,
      ],
      [
        'Gaps and failed runs',
        model.gaps.length === 0 ? 'none' : `${formatCount(model.gaps.length)}, listed below`,
      ],
    ]);
    if (model.gaps.length > 0) {
      canvas.y += 4;
      drawTable(
        canvas,
        [
          this.column('Withholds', 150),
          this.column('Repository', 150),
          this.column('Reason', CONTENT_WIDTH - 300),
        ],
        model.gaps.map((g): TableCell[] => [
          { text: g.withholds },
          { text: g.repo ?? 'all repositories' },
          { text: g.reason },
        ]),
        this.style,
      );
    }
    canvas.y += 10;

    this.subheading('Index cross-check');
    const cross = model.indexCrossCheck;
    this.keyValues([
      [
        'Bucket listed',
        `${formatCount(cross.prefixesListed)} key prefixes (kind, repository, month), ${formatCount(cross.objectsListed)} objects`,
      ],
      [
        'Index against bucket',
        cross.findings.length === 0
          ? 'agree — every listed object is indexed at its current version, every indexed object is held'
          : `${formatCount(cross.findings.length)} differences, listed below; the bucket is the truth`,
      ],
    ]);
    if (cross.findings.length > 0) {
      canvas.y += 4;
      drawTable(
        canvas,
        [
          this.column('Finding', 110),
          this.column('Object', 230, 'left', 'mono'),
          this.column('What the pack did', CONTENT_WIDTH - 340),
        ],
        cross.findings.map((f): TableCell[] => [{ text: f.finding }, { text: f.key }, { text: f.note }]),
        this.style,
      );
    }
    canvas.y += 10;

    this.subheading('Retention of the evidence store');
    const r = model.retention;
    this.keyValues([
      ['Location', r.location],
      [
        'Immutable',
        r.immutable
          ? 'yes — Object Lock prevents deletion and overwrite'
          : 'NO — evidence can be deleted or replaced',
      ],
      ['Versioning', r.versioning],
      ['Object Lock mode', r.lockMode],
      [
        'Default retention',
        r.defaultRetentionDays === null ? 'none' : `${formatCount(r.defaultRetentionDays)} days`,
      ],
      ['Verdict', VERDICT_WORD[r.verdict]],
      ['Notes', r.notes.join('\n') || 'none'],
    ]);
  }

  exceptions(): void {
    const { canvas, fonts, model } = this;
    this.section('exceptions');
    this.paragraph(
      model.exceptions.length === 0
        ? 'No exceptions: no change failed a control that was required at the time of the change.'
        : `${formatCount(model.exceptions.length)} exceptions: each names the change, the control, the rule that failed ` +
            'and the stored evidence object (S3 key and version ID) that shows it. Links open the change on GitHub.',
      fonts.regular,
      BODY_SIZE,
      MUTED,
    );
    canvas.y += 6;
    if (model.exceptions.length === 0) return;
    const columns: TableColumn[] = [
      this.column('Repository', 82),
      this.column('Change', 44),
      this.column('Commit SHA', this.shaWidth, 'left', 'mono'),
      this.column('Control', 74),
      this.column('Reason', CONTENT_WIDTH - 82 - 44 - this.shaWidth - 74 - 190),
      this.column('Evidence object (key, version ID)', 190, 'left', 'mono'),
    ];
    const rows = function* (): Generator<TableCell[]> {
      for (const e of model.exceptions) {
        yield [
          { text: e.repo },
          e.changeType === 'period'
            ? { text: 'whole period' }
            : {
                text:
                  e.changeType === 'production_deploy'
                    ? 'production deploy'
                    : e.prNumber === null
                      ? 'direct push'
                      : `PR #${e.prNumber}`,
                color: LINK,
                link: e.url,
              },
          { text: e.commitSha },
          { text: e.control, font: fonts.condensedBold, color: VERDICT_COLOR.fail },
          { text: e.reason },
          { text: `${e.evidenceKey}\nversion ${e.evidenceVersion}` },
        ];
      }
    };
    drawTable(canvas, columns, rows(), this.style);
  }

  population(): void {
    const { canvas, fonts, model } = this;
    this.section('population');
    this.paragraph(
      `${formatCount(model.population.length)} changes reached a protected default branch during the period. ` +
        'Each control is judged by the profile version in force when the change was merged (column Ver.).',
      fonts.regular,
      BODY_SIZE,
      MUTED,
    );
    canvas.y += 2;
    const legend = (['pass', 'fail', 'not_applicable', 'unknown'] as const)
      .map((v) => `${VERDICT_GLYPH[v]} ${VERDICT_WORD[v]}`)
      .join('     ');
    this.line(`Legend: ${legend}`, fonts.condensed, 7.5, INK);
    canvas.y += 4;

    const fixed = 84 + 24 + 30 + this.shaWidth + 76 + 60 + 22;
    const verdictWidth = Math.max(
      8,
      Math.min(11, (CONTENT_WIDTH - fixed - 90) / Math.max(1, model.controlIds.length)),
    );
    const columns: TableColumn[] = [
      this.column('Repository', 84),
      this.column('Type', 24),
      this.column('PR', 30, 'right'),
      this.column('Commit SHA', this.shaWidth, 'left', 'mono'),
      this.column('Merged at (UTC)', 76),
      this.column('Author', 60),
      this.column('Ver.', 22),
      this.column('Title', CONTENT_WIDTH - fixed - verdictWidth * model.controlIds.length),
      ...model.controlIds.map(
        (id): TableColumn => ({
          header: id,
          width: verdictWidth,
          font: fonts.condensedBold,
          size: TABLE_SIZE,
          wrap: 'single',
          align: 'center',
          rotateHeader: true,
        }),
      ),
    ];
    const controlIds = model.controlIds;
    const rows = function* (): Generator<TableCell[]> {
      for (const p of model.population) {
        const cells: TableCell[] = [
          { text: p.repo },
          {
            text:
              p.changeType === 'pull_request'
                ? 'PR'
                : p.changeType === 'production_deploy'
                  ? 'deploy'
                  : 'push',
          },
          { text: p.prNumber === null ? '' : String(p.prNumber) },
          { text: p.commitSha },
          { text: p.mergedAt },
          { text: p.author },
          { text: p.profileVersion },
          { text: p.title },
        ];
        for (const id of controlIds) {
          const verdict = p.verdicts[id] ?? 'unknown';
          cells.push({ text: VERDICT_GLYPH[verdict], color: VERDICT_COLOR[verdict] });
        }
        yield cells;
      }
    };
    drawTable(canvas, columns, rows(), this.style);
  }

  overridesAndEmergencies(): void {
    const { canvas, fonts, model } = this;
    this.section('overrides');
    this.subheading('Protected-branch overrides and ruleset bypasses');
    if (model.overrides.length === 0) {
      this.paragraph('No override or bypass events in the period.', fonts.regular, BODY_SIZE, MUTED);
    } else {
      drawTable(
        canvas,
        [
          this.column('Repository', 84),
          this.column('At (UTC)', 76),
          this.column('Actor', 64),
          this.column('Commit SHA', this.shaWidth, 'left', 'mono'),
          this.column('Sources', 90),
          this.column('Verdict', 48),
          this.column('Reasons', CONTENT_WIDTH - 84 - 76 - 64 - this.shaWidth - 90 - 48),
        ],
        model.overrides.map((o): TableCell[] => [
          { text: o.repo },
          { text: o.at },
          { text: o.actor },
          { text: o.commitSha },
          { text: o.sources.join(', ') },
          { text: VERDICT_WORD[o.verdict], color: VERDICT_COLOR[o.verdict] },
          { text: o.reasons.join('\n') },
        ]),
        this.style,
      );
    }
    canvas.y += 12;
    this.subheading('Emergency changes');
    if (model.emergencies.length === 0) {
      this.paragraph('No emergency changes in the period.', fonts.regular, BODY_SIZE, MUTED);
    } else {
      drawTable(
        canvas,
        [
          this.column('Repository', 100),
          this.column('PR', 40, 'right'),
          this.column('Merged at (UTC)', 80),
          this.column('Label added by', 80),
          this.column('Verdict', 48),
          this.column('Reasons', CONTENT_WIDTH - 348),
        ],
        model.emergencies.map((e): TableCell[] => [
          { text: e.repo },
          { text: String(e.prNumber) },
          { text: e.mergedAt },
          { text: e.labelledBy },
          { text: VERDICT_WORD[e.verdict], color: VERDICT_COLOR[e.verdict] },
          { text: e.reasons.join('\n') },
        ]),
        this.style,
      );
    }
  }

  appendix(): void {
    const { canvas, fonts, model } = this;
    this.section('appendix');
    this.subheading('How each control is decided');
    for (const c of model.controls) {
      canvas.ensure(BODY_SIZE * 4);
      this.paragraph(`${c.id} — ${c.title}`, fonts.bold, BODY_SIZE, INK);
      this.paragraph(`Requirement: ${c.requirement}`, fonts.regular, BODY_SIZE - 0.5, MUTED);
      this.paragraph(c.howDecided, fonts.regular, BODY_SIZE, INK);
      canvas.y += 5;
    }
    canvas.y += 6;
    this.subheading('Attachments');
    drawTable(
      canvas,
      [
        this.column('File', 120),
        this.column('Bytes', 70, 'right'),
        this.column('SHA-256', CONTENT_WIDTH - 190, 'left', 'mono'),
      ],
      this.inputs.attachmentFacts.map((a): TableCell[] => [
        { text: a.name },
        { text: formatCount(a.bytes) },
        { text: a.sha256 },
      ]),
      this.style,
    );
    canvas.y += 4;
    this.paragraph(
      'To check a pack by hand: qpdf --check PACK.pdf; pdfdetach -list PACK.pdf; ' +
        'qpdf --show-attachment=manifest.json PACK.pdf; cm01 verify PACK.pdf compares every manifest entry with the store. ' +
        'With no store: pdfdetach -saveall PACK.pdf; openssl dgst -sha256 -verify public-key.pem -signature seal.sig seal.json; ' +
        'sha256sum manifest.json population.csv exceptions.csv and compare with seal.json (or cm01 verify PACK.pdf --offline).',
      fonts.regular,
      BODY_SIZE - 0.5,
      MUTED,
    );
    canvas.y += 10;
    this.subheading(`Policy profile source (${model.profile.id})`);
    const size = 6.5;
    const lineHeight = size * 1.25;
    const lines = wrapPreformatted(fonts.mono.displayable(model.profile.source), CONTENT_WIDTH, (s) =>
      fonts.mono.widthOf(s, size),
    );
    for (const line of lines) {
      canvas.ensure(lineHeight);
      canvas.text({ font: fonts.mono, size, color: INK, x: PAGE.left, top: canvas.y, text: line });
      canvas.y += lineHeight;
    }
    canvas.flush();
  }

  // -- building blocks ----------------------------------------------------------------------

  private section(id: (typeof SECTIONS)[number]['id']): void {
    const section = SECTIONS.find((s) => s.id === id)!;
    this.canvas.newPage();
    this.sectionPages.set(id, this.canvas.pageNumber);
    this.canvas.anchor(id, section.title);
    this.line(section.title, this.fonts.bold, 16, ACCENT);
    this.canvas.y += 6;
  }

  private subheading(text: string): void {
    this.canvas.ensure(40);
    this.line(text, this.fonts.bold, 10.5, ACCENT);
    this.canvas.y += 3;
  }

  private column(
    header: string,
    width: number,
    align: 'left' | 'right' | 'center' = 'left',
    font: 'condensed' | 'mono' = 'condensed',
  ): TableColumn {
    return {
      header,
      width,
      font: this.fonts[font],
      size: font === 'mono' ? MONO_SIZE : TABLE_SIZE,
      wrap: 'words',
      align,
    };
  }

  /** One line of text that is known to fit (titles, legend). */
  private line(text: string, font: GlyphFont, size: number, color: Rgb): void {
    this.paragraph(text, font, size, color);
  }

  private paragraph(text: string, font: GlyphFont, size: number, color: Rgb, indent = 0): void {
    const lineHeight = size * 1.3;
    const lines = wrapWords(font.displayable(text), CONTENT_WIDTH - indent, (s) => font.widthOf(s, size));
    for (const line of lines) {
      this.canvas.ensure(lineHeight);
      this.canvas.text({ font, size, color, x: PAGE.left + indent, top: this.canvas.y, text: line });
      this.canvas.y += lineHeight;
    }
    this.canvas.flush();
  }

  private keyValues(pairs: readonly (readonly [string, string, GlyphFont?])[]): void {
    const { canvas, fonts } = this;
    const labelWidth = 150;
    const size = BODY_SIZE;
    const lineHeight = size * 1.35;
    for (const [label, value, valueFont = fonts.regular] of pairs) {
      const lines = wrapWords(valueFont.displayable(value), CONTENT_WIDTH - labelWidth, (s) =>
        valueFont.widthOf(s, size),
      );
      canvas.ensure(lines.length * lineHeight + 2);
      const top = canvas.y;
      canvas.text({
        font: fonts.bold,
        size,
        color: MUTED,
        x: PAGE.left,
        top,
        text: fonts.bold.displayable(label),
      });
      lines.forEach((line, i) => {
        canvas.text({
          font: valueFont,
          size,
          color: INK,
          x: PAGE.left + labelWidth,
          top: top + i * lineHeight,
          text: line,
        });
      });
      canvas.y = top + lines.length * lineHeight + 2;
    }
    canvas.flush();
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** The cover's seal rows: what an auditor compares with `seal.json` and the published key. */
function sealRows(
  seal: PackSealAttachment | undefined,
  mono: GlyphFont,
): (readonly [string, string, GlyphFont?])[] {
  if (!seal) return [['Seal', 'NOT SEALED: this pack carries no signed seal']];
  return [
    ['Seal SHA-256', seal.sealSha256, mono],
    ['Signing key SHA-256', `${seal.publicKeySha256} (ECDSA P-256, public-key.pem)`, mono],
    ['Previous seal', seal.previous],
    ...(seal.supersedes ? [['Re-issue of', seal.supersedes] as const] : []),
  ];
}

function controlResult(c: PackModel['controls'][number]): { text: string; color: Rgb } {
  if (c.exceptions > 0) return { text: `${formatCount(c.exceptions)} exceptions`, color: VERDICT_COLOR.fail };
  if (c.unknown > 0) return { text: 'evidence incomplete (unknown verdicts)', color: VERDICT_COLOR.unknown };
  if (c.fail > 0) return { text: 'no exceptions (failures are informational)', color: MUTED };
  if (c.pass === 0) return { text: 'not applicable this period', color: VERDICT_COLOR.not_applicable };
  return { text: 'no exceptions', color: VERDICT_COLOR.pass };
}

/** Thousands separated by commas, independent of the machine's locale (ICU data varies). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function formatPercent(fraction: number): string {
  return `${(Math.round(fraction * 10000) / 100).toFixed(2)} %`;
}

function parseInstant(iso: string): Date {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new PackRenderError(`generatedAt "${iso}" is not an ISO-8601 time`);
  return new Date(t);
}

/**
 * pdfkit copies Title, Subject and Keywords into the XMP packet without escaping; `&`, `<` and `>`
 * are replaced so the XMP stays well-formed and says the same as the Info dictionary.
 */
export function xmpSafe(text: string): string {
  return text
    .replace(/\s*&\s*/g, ' and ')
    .replaceAll('<', '‹')
    .replaceAll('>', '›');
}

/** The members of a pdfkit document `embedFile` drives (public in pdfkit, partly absent from its types). */
interface PdfkitAttachmentSurface {
  ref(data: object): { end(data?: Uint8Array): void };
  addNamedEmbeddedFile(name: string, ref: unknown): void;
  readonly _root: { readonly data: { AF?: unknown[] } };
}

/**
 * An associated file (PDF/A-3, AFRelationship `Data`), written exactly as pdfkit's `file()`
 * writes one from bytes: the same objects, keys and order, so the same PDF. Not through
 * `file()`, which computes the /CheckSum (MD5) in JavaScript: for the manifest of a
 * 50,000-change month (tens of megabytes) that took seconds; node:crypto takes milliseconds.
 */
function embedFile(
  doc: PdfkitAttachmentSurface,
  bytes: Uint8Array,
  options: { name: string; type: string; description: string; date: Date },
): void {
  // pdfkit writes a String object as a PDF string, a primitive string as a name.
  const file = doc.ref({
    Type: 'EmbeddedFile',
    Params: {
      CreationDate: options.date,
      ModDate: options.date,
      CheckSum: new String(createHash('md5').update(bytes).digest('hex')),
      Size: bytes.byteLength,
    },
    Subtype: pdfName(options.type),
  });
  file.end(bytes);
  const filespec = doc.ref({
    Type: 'Filespec',
    AFRelationship: 'Data',
    F: new String(options.name),
    EF: { F: file },
    UF: new String(options.name),
    Desc: new String(options.description),
  });
  filespec.end();
  doc.addNamedEmbeddedFile(options.name, filespec);
  if (doc._root.data.AF) doc._root.data.AF.push(filespec);
  else doc._root.data.AF = [filespec];
}

/** A PDF name as pdfkit escapes one (`application/json` -> `application#2Fjson`). */
function pdfName(text: string): string {
  let name = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    const safe = code > 0x7f || (code > 0x20 && !'\x7f#%()/<>[]{}'.includes(char));
    name += safe ? char : `#${code.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name;
}

function documentInfo(model: PackModel, generatedAt: Date): PDFKit.DocumentInfo {
  return {
    Title: xmpSafe(
      `${model.incomplete ? 'INCOMPLETE ' : ''}CM-01 evidence pack — ${model.org} — ${model.period.label}`,
    ),
    Author: xmpSafe(`${TOOL_NAME} for ${model.org}`),
    Subject: xmpSafe(
      `SOC 2 CM-01 change-management evidence, ${model.profile.name}, ${model.period.from} to ${model.period.to}`,
    ),
    Keywords: xmpSafe(
      `SOC 2, CM-01, change management, ${model.org}, ${model.period.label}, ${model.profile.id}`,
    ),
    Creator: xmpSafe(`${TOOL_NAME} ${model.toolVersion}`),
    Producer: 'PDFKit',
    CreationDate: generatedAt,
  };
}
