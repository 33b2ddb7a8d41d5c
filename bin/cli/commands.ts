import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { openPackSigner } from '../../lambdas/adapters/open-signer.ts';
import { DEFAULT_STORE_URL, openEvidenceStore, openStore } from '../../lambdas/adapters/open-store.ts';
import { renderPack } from '../../lambdas/adapters/pdf/render-pack.ts';
import { renderSampleSummary } from '../../lambdas/adapters/pdf/render-sample.ts';
import { drawAuditSample } from '../../lambdas/app/sample.ts';
import { verifyChain, verifyPack } from '../../lambdas/app/verify-pack.ts';
import { collect } from '../../lambdas/collect/collect.ts';
import { COLLECT_KINDS, type CollectKind, type CollectProgress } from '../../lambdas/collect/context.ts';
import { resolveProfile } from '../../lambdas/core/profile-files.ts';
import { DEFAULT_PROFILE_ID } from '../../lambdas/core/shipped-profiles.ts';
import { assertNotFuture, previousMonth, type Window } from '../../lambdas/core/window.ts';
import { InputError } from '../../lambdas/errors.ts';
import { initStore } from '../../lambdas/evidence/store-init.ts';
import { type BuiltPack, buildPack } from '../../lambdas/pack/build-pack.ts';
import { listPacks } from '../../lambdas/pack/list-packs.ts';
import { PACK_FILE_SUFFIXES } from '../../lambdas/pack/seal.ts';
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
  allowOnly(ctx.options, 'pack', ['period', 'from', 'to', 'profile', 'store', 'out', 'org', 'reason']);
  const window = windowFromOptions(ctx.options) ?? previousMonth(new Date());
  const profile = await resolveProfile(ctx.options.profile ?? DEFAULT_PROFILE_ID);
  const { store, index } = await openStore(storeUrlOf(ctx.options));
  const signer = await openPackSigner(storeUrlOf(ctx.options));
  const pack = await buildPack(
    { store, index, render: renderPack, signer },
    {
      window,
      profile,
      ...(ctx.options.org ? { org: ctx.options.org } : {}),
      ...(ctx.options.reason ? { reissueReason: ctx.options.reason } : {}),
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
    'reason',
  ]);
  const profile = await resolveProfile(ctx.options.profile ?? DEFAULT_PROFILE_ID);
  const signer = await openPackSigner(storeUrlOf(ctx.options));
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
      { store, index, render: renderPack, signer },
      {
        window,
        profile,
        org: source.org,
        ...(ctx.options.reason ? { reissueReason: ctx.options.reason } : {}),
        onProgress: (t) => ctx.reporter.progress(t),
      },
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
  const { options } = ctx;
  allowOnly(options, 'verify', [
    'store',
    'offline',
    'chain',
    'from',
    'to',
    'profile',
    'org',
    'earlier',
    'public-key',
    'signature',
  ]);
  if (options.chain) return runVerifyChain(ctx);
  const [file, ...rest] = ctx.positionals;
  if (!file) throw new UsageError('PACK.pdf', 'missing: name the pack to verify (cm01 verify PACK.pdf)');
  if (rest.length > 0) throw new UsageError(rest[0] as string, 'unexpected argument');
  if (options.offline && options.store) throw new UsageError('--store', '--offline reads no store');
  const pdf = await readInput(file, 'PACK.pdf');
  // The detached signature of the PDF travels beside it as <pack>.pdf.sig.
  const signaturePath = options.signature ?? `${file}.sig`;
  const pdfSignature = await readInput(signaturePath, '--signature').catch((error: unknown) => {
    if (options.signature) throw error;
    return undefined;
  });
  const earlier = await Promise.all(
    (listOption(options.earlier) ?? []).map(async (name) => ({
      name,
      bytes: await readInput(name, '--earlier'),
    })),
  );
  const trusted = options['public-key']
    ? new TextDecoder().decode(await readInput(options['public-key'], '--public-key'))
    : undefined;
  const store = options.offline
    ? undefined
    : await openEvidenceStore(storeUrlOf(options), { readOnly: true });
  const result = await verifyPack(store ? { store } : {}, {
    pdf,
    ...(pdfSignature ? { pdfSignature } : {}),
    earlier,
    ...(trusted !== undefined ? { trustedPublicKeyPem: trusted } : {}),
    onProgress: (done, total) => ctx.reporter.progress(`verifying ${done}/${total}`),
  });
  const p = result.pack;
  const lines = [
    p
      ? `pack ${p.org} ${p.period} (${p.profile}), seal SHA-256 ${p.sealSha256}` +
        (p.supersedes ? ` — re-issue of ${p.supersedes.sealSha256} (${p.supersedes.reason})` : '')
      : `${file}: no readable seal`,
    result.offline
      ? 'offline: seal signature, attachments and chain checked; no store consulted'
      : `checked ${result.checkedObjects} evidence objects and the stored pack in ${store?.location}`,
    ...result.findings.map((f) => `MISMATCH ${f.subject}: ${f.problem}`),
    ...result.notes.map((n) => `note: ${n}`),
    result.ok
      ? 'verified: the whole pack matches its seal and the store'
      : `FAILED: ${result.findings.length} mismatch(es)`,
  ];
  if (result.ok && result.offline)
    lines[lines.length - 1] = 'verified offline: the pack matches its signed seal';
  ctx.reporter.result(lines, result);
  return result.ok ? 0 : 1;
}

async function runVerifyChain(ctx: CommandContext): Promise<ExitStatus> {
  const { options } = ctx;
  if (ctx.positionals.length > 0)
    throw new UsageError(ctx.positionals[0] as string, 'unexpected argument: --chain takes --from and --to');
  if (options.offline)
    throw new UsageError('--offline', '--chain walks the store; offline, give --earlier packs instead');
  if (!options.from || !options.to)
    throw new UsageError(options.from ? '--to' : '--from', 'missing: --chain --from YYYY-MM --to YYYY-MM');
  for (const [field, value] of [
    ['--from', options.from],
    ['--to', options.to],
  ] as const) {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value))
      throw new UsageError(field, `"${value}" is not a month YYYY-MM`);
  }
  const store = await openEvidenceStore(storeUrlOf(options), { readOnly: true });
  const profile = options.profile ?? DEFAULT_PROFILE_ID;
  const result = await verifyChain(
    { store },
    { from: options.from, to: options.to, profile, ...(options.org ? { org: options.org } : {}) },
  );
  const lines = [
    ...result.months.map(
      (m) =>
        `${m.period}: seal ${m.sealSha256}${m.issues > 1 ? ` (${m.issues} issues; re-issued: ${m.reissues.map((r) => `${r.reason} [${r.changed.join(', ')}]`).join('; ')})` : ''}`,
    ),
    ...result.findings.map((f) => `BREAK ${f.subject}: ${f.problem}`),
    result.firstBreak
      ? `FAILED: the chain of ${result.org} ${profile} first breaks at ${result.firstBreak.subject}`
      : `verified: the chain of ${result.org} ${profile} holds from ${options.from} to ${options.to}`,
  ];
  ctx.reporter.result(lines, result);
  return result.ok ? 0 : 1;
}

export async function runSample(ctx: CommandContext): Promise<ExitStatus> {
  const { options } = ctx;
  allowOnly(options, 'sample', ['period', 'size', 'seed', 'control', 'profile', 'store', 'out', 'org']);
  if (ctx.positionals.length > 0) throw new UsageError(ctx.positionals[0] as string, 'unexpected argument');
  if (!options.period) throw new UsageError('--period', 'missing: cm01 sample --period YYYY-MM');
  const window = windowFromOptions({ period: options.period }) as Window;
  if (options.seed !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(options.seed)) {
    throw new UsageError('--seed', 'letters, digits, ".", "_" or "-", at most 64');
  }
  const size = positiveInteger(options.size, '--size');
  const profile = await resolveProfile(options.profile ?? DEFAULT_PROFILE_ID);
  const { store, index } = await openStore(storeUrlOf(options));
  const result = await drawAuditSample(
    { store, index, renderSummary: renderSampleSummary },
    {
      period: window.label,
      profile,
      ...(options.org ? { org: options.org } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.control !== undefined ? { control: options.control } : {}),
    },
  );
  const written = await writeBundle(resolve(options.out ?? 'out'), result.bundleName, result.files);
  const s = result.sample;
  ctx.reporter.result(
    [
      `sampled ${s.size} of ${s.populationSize} changes of ${s.org} ${s.period} (${s.profile}${s.control ? `, ${s.control} applicable` : ''}) with seed ${s.seed}` +
        (s.sizeSource === 'default' ? ' (default size by population)' : ''),
      `stored ${result.stored.key} (version ${result.stored.versionId})`,
      `bundle: ${join(resolve(options.out ?? 'out'), result.bundleName)} (${written.length} files)`,
    ],
    { ...s, stored: result.stored, bundle: join(resolve(options.out ?? 'out'), result.bundleName) },
    `cm01 sample: ${s.size} of ${s.populationSize}, seed ${s.seed}; ${result.bundleName}`,
  );
  return 0;
}

/** Write a bundle folder under a temporary name, then rename it: a failure leaves no half bundle. */
async function writeBundle(
  out: string,
  name: string,
  files: readonly { path: string; bytes: Uint8Array }[],
): Promise<string[]> {
  const temp = join(out, `.${name}.${process.pid}.tmp`);
  const final = join(out, name);
  try {
    for (const file of files) {
      const path = join(temp, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.bytes);
    }
    await rm(final, { recursive: true, force: true });
    await rename(temp, final);
  } catch (error: unknown) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return files.map((f) => join(final, f.path));
}

async function readInput(path: string, field: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error: unknown) {
    throw new InputError(field, `cannot read ${path}`, { cause: error });
  }
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
    const packs = await listPacks(store);
    const lines =
      packs.length === 0
        ? [`no packs in ${store.location}`]
        : packs.flatMap((p) => [
            `${p.key.slice('packs/'.length)}${p.issues.length > 1 ? ` (${p.issues.length} issues, all retained)` : ''}`,
            ...p.issues.map(
              (i, n) =>
                `    issue ${n + 1}: version ${i.versionId} of ${i.lastModified}${i.sealSha256 ? `, seal ${i.sealSha256}` : ', not sealed'}` +
                `${i.supersedes ? `; supersedes ${i.supersedes.sealSha256} (${i.supersedes.reason})` : ''}${n === p.issues.length - 1 ? ' [current]' : ''}`,
            ),
          ]);
    ctx.reporter.result(lines, { packs });
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
    const keys = Object.values(PACK_FILE_SUFFIXES).map((ext) => pdfKey.replace(/\.pdf$/, ext));
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
