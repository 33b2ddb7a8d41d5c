import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_STORE_URL, openEvidenceStore, openStore } from '../../lambdas/adapters/open-store.ts';
import { readPackAttachments, readPackFile } from '../../lambdas/adapters/pdf/read-attachments.ts';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { COLLECT_KINDS, type CollectKind, type CollectProgress } from '../../lambdas/collect/context.ts';
import { resolveProfile } from '../../lambdas/core/profile-files.ts';
import { DEFAULT_PROFILE_ID } from '../../lambdas/core/shipped-profiles.ts';
import { assertNotFuture, previousMonth, type Window } from '../../lambdas/core/window.ts';
import { InputError } from '../../lambdas/errors.ts';
import { sha256Hex } from '../../lambdas/evidence/canonical-json.ts';
import type { EvidenceStore } from '../../lambdas/evidence/ports.ts';
import { initStore } from '../../lambdas/evidence/store-init.ts';
import { type BuiltPack, buildPack } from '../../lambdas/pack/build-pack.ts';
import { verifyManifest } from '../../lambdas/pack/verify-pack.ts';
import {
  allowOnly,
  listOption,
  type ParsedOptions,
  positiveInteger,
  UsageError,
  windowFromOptions,
} from './args.ts';
import type { Reporter } from './output.ts';
import { openSource, type Source } from './source.ts';

/** What a command returns to the entry point: its exit status (0 done, 1 failed). */
export type ExitStatus = 0 | 1;

interface CommandContext {
  readonly positionals: readonly string[];
  readonly options: ParsedOptions;
  readonly reporter: Reporter;
}

const storeUrlOf = (options: ParsedOptions): string => options.store ?? DEFAULT_STORE_URL;

function kindsOf(options: ParsedOptions): CollectKind[] | undefined {
  const kinds = listOption(options.kinds);
  if (kinds === undefined) return undefined;
  for (const kind of kinds) {
    if (!(COLLECT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError('--kinds', `unknown kind "${kind}" (kinds: ${COLLECT_KINDS.join(', ')})`);
    }
  }
  return kinds as CollectKind[];
}

function describeProgress(event: CollectProgress): string | undefined {
  switch (event.type) {
    case 'repo-started':
      return `[${event.index + 1}/${event.total}] ${event.repo}`;
    case 'kind-started':
      return `${event.repo}: ${event.kind}…`;
    case 'item':
      return `${event.repo}: ${event.kind} ${event.itemId}`;
    default:
      return undefined;
  }
}

/** Collect a window from a source into a store; shared by `collect` and `run`. */
async function collectInto(source: Source, ctx: CommandContext, window: Window) {
  const { options, reporter } = ctx;
  assertNotFuture(window, source.now, options.period !== undefined ? '--period' : '--from');
  const url = storeUrlOf(options);
  const { store, index } = await openStore(url, { requireImmutable: url.startsWith('s3://') });
  const repos = listOption(options.repos);
  const kinds = kindsOf(options);
  const summary = await collect(
    {
      store,
      index,
      github: source.github,
      org: source.org,
      clock: () => source.now,
      progress: (event: CollectProgress) => {
        const text = describeProgress(event);
        if (text) reporter.progress(`collecting ${window.label} — ${text}`);
      },
    },
    { window, ...(repos ? { repos } : {}), ...(kinds ? { kinds } : {}) },
  );
  return { summary, store, index };
}

export async function runCollect(ctx: CommandContext): Promise<ExitStatus> {
  allowOnly(ctx.options, 'collect', [
    'period',
    'from',
    'to',
    'store',
    'github-world',
    'org',
    'kinds',
    'repos',
  ]);
  const source = await openSource({
    world: ctx.options['github-world'],
    org: ctx.options.org,
    demoByDefault: false,
  });
  try {
    const window = windowFromOptions(ctx.options) ?? previousMonth(source.now);
    const { summary } = await collectInto(source, ctx, window);
    ctx.reporter.result(
      [
        `collected ${window.label} from ${source.description}: ${formatCounts(summary)}`,
        ...gapLines(summary.gaps),
      ],
      summary,
      `cm01 collect: ${window.label} from ${source.description}: ${formatCounts(summary)}`,
    );
    return summary.status === 'failed' ? 1 : 0;
  } finally {
    await source.close();
  }
}

export async function runPack(ctx: CommandContext): Promise<ExitStatus> {
  allowOnly(ctx.options, 'pack', ['period', 'from', 'to', 'profile', 'store', 'out', 'org']);
  const window = windowFromOptions(ctx.options) ?? previousMonth(new Date());
  const profile = await resolveProfile(ctx.options.profile ?? DEFAULT_PROFILE_ID);
  const { store, index } = await openStore(storeUrlOf(ctx.options));
  const pack = await buildPack(
    { store, index, render: renderPack },
    {
      window,
      profile,
      ...(ctx.options.org ? { org: ctx.options.org } : {}),
      onProgress: (t) => ctx.reporter.progress(t),
    },
  );
  const written = await writePackFiles(pack, ctx.options.out);
  ctx.reporter.result(
    packLines(pack, written),
    packJson(pack, written),
    `cm01 pack: ${packBrief(pack, written)}`,
  );
  return 0;
}

export async function runRun(ctx: CommandContext): Promise<ExitStatus> {
  allowOnly(ctx.options, 'run', [
    'period',
    'from',
    'to',
    'profile',
    'store',
    'github-world',
    'org',
    'out',
    'kinds',
    'repos',
  ]);
  const profile = await resolveProfile(ctx.options.profile ?? DEFAULT_PROFILE_ID);
  const source = await openSource({
    world: ctx.options['github-world'],
    org: ctx.options.org,
    demoByDefault: true,
  });
  try {
    const window = windowFromOptions(ctx.options) ?? previousMonth(source.now);
    ctx.reporter.progress(`collecting ${window.label} from ${source.description}…`);
    const { summary, store, index } = await collectInto(source, ctx, window);
    const pack = await buildPack(
      { store, index, render: renderPack },
      { window, profile, org: source.org, onProgress: (t) => ctx.reporter.progress(t) },
    );
    const written = await writePackFiles(pack, ctx.options.out);
    ctx.reporter.result(
      [
        `collected ${window.label} from ${source.description}: ${formatCounts(summary)}`,
        ...gapLines(summary.gaps),
        ...packLines(pack, written),
      ],
      { collection: summary, pack: packJson(pack, written) },
      `cm01 run: collected ${formatCounts(summary)}; ${packBrief(pack, written)}`,
    );
    return 0;
  } finally {
    await source.close();
  }
}

export async function runVerify(ctx: CommandContext): Promise<ExitStatus> {
  allowOnly(ctx.options, 'verify', ['store']);
  const [file, ...rest] = ctx.positionals;
  if (!file) throw new UsageError('PACK.pdf', 'missing: name the pack to verify (cm01 verify PACK.pdf)');
  if (rest.length > 0) throw new UsageError(rest[0] as string, 'unexpected argument');
  const pdf = await readPackFile(file);
  const manifestBytes = readPackAttachments(pdf).get('manifest.json');
  if (!manifestBytes) throw new InputError('PACK.pdf', `${file} carries no manifest.json: not a cm01 pack`);
  const manifest = parseManifest(manifestBytes);
  const store = await openEvidenceStore(storeUrlOf(ctx.options), { readOnly: true });
  const result = await verifyManifest(
    store,
    { entries: manifest.entries, digest: manifest.manifestDigest },
    { onProgress: (done, total) => ctx.reporter.progress(`verifying ${done}/${total}`) },
  );
  const storedPack = await storedPackMatches(store, manifest.period.label, file, pdf);
  const lines = [
    `checked ${result.checked} evidence objects of ${manifest.org} ${manifest.period.label} (${manifest.profile.id}) in ${store.location}`,
    ...result.findings.map((f) => `MISMATCH ${f.key} (version ${f.versionId}): ${f.problem}`),
    ...(result.digestMatches
      ? []
      : [`MISMATCH manifest: its digest does not match its entries (${manifest.manifestDigest})`]),
    storedPack,
  ];
  const ok = result.findings.length === 0 && result.digestMatches;
  lines.push(
    ok
      ? 'verified: every object matches the pack'
      : `FAILED: ${result.findings.length} object(s) do not match`,
  );
  ctx.reporter.result(lines, { ok, ...result, storedPack });
  return ok ? 0 : 1;
}

export async function runStore(ctx: CommandContext): Promise<ExitStatus> {
  allowOnly(ctx.options, 'store', ['store', 'lock-mode', 'retention-days']);
  const [sub] = ctx.positionals;
  if (sub !== 'init')
    throw new UsageError('store', `unknown subcommand "${sub ?? ''}" (cm01 store init --store URL)`);
  if (!ctx.options.store) throw new UsageError('--store', 'missing: cm01 store init --store URL');
  const lockMode = ctx.options['lock-mode'] ?? 'COMPLIANCE';
  if (lockMode !== 'COMPLIANCE' && lockMode !== 'GOVERNANCE') {
    throw new UsageError('--lock-mode', `"${lockMode}" is not COMPLIANCE or GOVERNANCE`);
  }
  const retentionDays = positiveInteger(ctx.options['retention-days'], '--retention-days') ?? 365;
  const report = await initStore(ctx.options.store, { lockMode, retentionDays });
  ctx.reporter.result(
    [
      ...report.created.map((c) => `created ${c}`),
      ...report.checked.map((c) => `checked ${c}`),
      `store ready: ${report.store}`,
    ],
    report,
  );
  return 0;
}

export async function runPacks(ctx: CommandContext): Promise<ExitStatus> {
  const [sub] = ctx.positionals;
  if (sub === 'list') {
    allowOnly(ctx.options, 'packs list', ['store']);
    const store = await openEvidenceStore(storeUrlOf(ctx.options), { readOnly: true });
    const keys = (await store.listKeys('packs/')).filter((key) => key.endsWith('.pdf'));
    const lines =
      keys.length === 0 ? [`no packs in ${store.location}`] : keys.map((key) => key.slice('packs/'.length));
    ctx.reporter.result(lines, { packs: keys });
    return 0;
  }
  if (sub === 'download') {
    allowOnly(ctx.options, 'packs download', [
      'period',
      'profile',
      'store',
      'out',
      'url-only',
      'expires',
      'org',
    ]);
    if (!ctx.options.period)
      throw new UsageError('--period', 'missing: cm01 packs download --period YYYY-MM');
    const window = windowFromOptions({ period: ctx.options.period });
    const profileId = ctx.options.profile ?? DEFAULT_PROFILE_ID;
    const store = await openEvidenceStore(storeUrlOf(ctx.options), { readOnly: true });
    const prefix = `packs/${window?.label}/`;
    const pdfKeys = (await store.listKeys(prefix)).filter(
      (key) =>
        key.endsWith(`-${window?.label}-${profileId}.pdf`) &&
        (ctx.options.org === undefined || key.startsWith(`${prefix}cm01-${ctx.options.org}-`)),
    );
    if (pdfKeys.length === 0) {
      throw new InputError(
        '--period',
        `no ${profileId} pack for ${window?.label} in ${store.location} (cm01 packs list)`,
      );
    }
    if (pdfKeys.length > 1)
      throw new UsageError('--org', `several organisations have packs for ${window?.label}: name one`);
    const pdfKey = pdfKeys[0] as string;
    const keys = ['.pdf', '.manifest.json', '.population.csv', '.exceptions.csv'].map((ext) =>
      pdfKey.replace(/\.pdf$/, ext),
    );
    if (ctx.options['url-only']) {
      const expires = positiveInteger(ctx.options.expires, '--expires') ?? 3600;
      if (expires > 604_800)
        throw new UsageError('--expires', 'at most 604800 seconds (7 days), as S3 allows');
      const urls: string[] = [];
      for (const key of keys) {
        const head = await store.head(key);
        if (!head) continue;
        const url = await store.presignGet(key, head.versionId, expires);
        if (!url)
          throw new InputError(
            '--url-only',
            `${store.location} cannot give URLs; download the files instead`,
          );
        urls.push(url);
      }
      ctx.reporter.result(urls, { urls, expiresSeconds: expires });
      return 0;
    }
    const out = resolve(ctx.options.out ?? 'out');
    const files: { name: string; bytes: Uint8Array }[] = [];
    for (const key of keys) {
      const head = await store.head(key);
      if (!head) continue;
      const { body } = await store.get(key, head.versionId);
      files.push({ name: key.slice(prefix.length), bytes: body });
    }
    const written = await writeFilesAtomically(out, files);
    ctx.reporter.result(written, { files: written });
    return 0;
  }
  throw new UsageError(
    'packs',
    `unknown subcommand "${sub ?? ''}" (cm01 packs list | cm01 packs download --period YYYY-MM)`,
  );
}

interface ParsedManifest {
  readonly org: string;
  readonly period: { readonly label: string };
  readonly profile: { readonly id: string };
  readonly manifestDigest: string;
  readonly entries: { key: string; versionId: string; sha256: string; retainUntil: string }[];
}

function parseManifest(bytes: Uint8Array): ParsedManifest {
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as ParsedManifest;
    if (!Array.isArray(json.entries) || typeof json.manifestDigest !== 'string')
      throw new Error('entries missing');
    return json;
  } catch (error: unknown) {
    throw new InputError('PACK.pdf', 'its manifest.json is not a cm01 pack manifest', { cause: error });
  }
}

/** Whether the PDF given is byte-identical to the pack stored under Object Lock. */
async function storedPackMatches(
  store: EvidenceStore,
  label: string,
  file: string,
  pdf: Uint8Array,
): Promise<string> {
  const name = file.split(/[\\/]/).pop() as string;
  const head = await store.head(`packs/${label}/${name}`);
  if (!head) return `note: the store holds no pack named ${name} for ${label}`;
  return head.sha256 === sha256Hex(pdf)
    ? `the PDF is byte-identical to the stored pack (version ${head.versionId})`
    : `note: the PDF differs from the stored pack ${name} (version ${head.versionId})`;
}

async function writePackFiles(pack: BuiltPack, outOption: string | undefined): Promise<string[]> {
  return writeFilesAtomically(resolve(outOption ?? 'out'), pack.files);
}

/** Write every file under a temporary name first, then rename: nothing half-written on failure. */
async function writeFilesAtomically(
  dir: string,
  files: readonly { name: string; bytes: Uint8Array }[],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const temps: string[] = [];
  try {
    for (const file of files) {
      const temp = join(dir, `.${file.name}.${process.pid}.tmp`);
      await writeFile(temp, file.bytes);
      temps.push(temp);
    }
  } catch (error: unknown) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw error;
  }
  const paths: string[] = [];
  for (const [i, file] of files.entries()) {
    const path = join(dir, file.name);
    await rename(temps[i] as string, path);
    paths.push(path);
  }
  return paths;
}

function formatCounts(summary: { counts: Record<string, number>; gaps: readonly unknown[] }): string {
  const counts = Object.entries(summary.counts)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return `${counts || 'nothing new'}; ${summary.gaps.length} gap(s)`;
}

/** One line per source that could not be read whole, naming its repositories once. */
function gapLines(gaps: readonly { source: string; repo: string | null; reason: string }[]): string[] {
  const bySource = new Map<string, { repos: Set<string>; reason: string }>();
  for (const gap of gaps) {
    const entry = bySource.get(gap.source) ?? { repos: new Set<string>(), reason: gap.reason };
    if (gap.repo) entry.repos.add(gap.repo);
    bySource.set(gap.source, entry);
  }
  return [...bySource].map(
    ([source, { repos, reason }]) =>
      `  gap: ${source}${repos.size ? ` (${[...repos].join(', ')})` : ''}: ${reason}`,
  );
}

function packLines(pack: BuiltPack, written: readonly string[]): string[] {
  const m = pack.model;
  return [
    `judged ${m.population.length} changes of ${m.org} ${m.period.label} against ${m.profile.id}: ${m.exceptions.length} exception(s), ${pack.pageCount} pages`,
    `retention: ${m.retention.verdict}${m.retention.immutable ? '' : ' (store is not immutable)'}`,
    `pack: ${written[0]}`,
    ...written.slice(1).map((path) => `      ${path}`),
  ];
}

function packBrief(pack: BuiltPack, written: readonly string[]): string {
  const m = pack.model;
  return (
    `${m.org} ${m.period.label} ${m.profile.id}: ${m.population.length} changes, ${m.exceptions.length} exception(s), ` +
    `retention ${m.retention.verdict}; ${written[0]}`
  );
}

function packJson(pack: BuiltPack, written: readonly string[]) {
  return {
    org: pack.model.org,
    period: pack.model.period,
    profile: pack.model.profile.id,
    changes: pack.model.population.length,
    exceptions: pack.model.exceptions.length,
    pages: pack.pageCount,
    manifestDigest: pack.model.manifestDigest,
    files: written,
    stored: pack.files.map((f) => ({
      key: f.stored.key,
      versionId: f.stored.versionId,
      sha256: f.stored.sha256,
    })),
  };
}
