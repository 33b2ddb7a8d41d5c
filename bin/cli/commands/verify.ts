import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { readPackAttachments, readPackFile } from '../../../lambdas/adapters/pdf/read-attachments.ts';
import { verifyChain, verifyPack } from '../../../lambdas/app/verify-pack.ts';
import { DEFAULT_PROFILE_ID } from '../../../lambdas/core/shipped-profiles.ts';
import { InputError } from '../../../lambdas/errors.ts';
import { openReadableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { addJsonOption, addStoreOption, type StoreOptions, storeUrlOf, UsageError } from '../options.ts';
import type { Reporter } from '../output.ts';

interface VerifyOptions extends StoreOptions {
  readonly offline?: boolean;
  readonly chain?: boolean;
  readonly from?: string;
  readonly to?: string;
  readonly profile?: string;
  readonly org?: string;
  readonly earlier?: string;
  readonly publicKey?: string;
  readonly signature?: string;
  readonly json?: boolean;
}

/** `cm01 verify PACK.pdf`, offline too; `cm01 verify --chain`: the whole pack, its seal and its chain. */
export function verifyCommand(cli: CliContext): Command {
  const command = new Command('verify')
    .summary('check a whole pack: its seal, attachments, stored copy, evidence and chain')
    .description(
      "Check the pack's signed seal, every attachment against the seal, the PDF against the copy " +
        'locked in the store, every evidence object the manifest names (by key and version), and the ' +
        'link to the previous month. Exits 1 naming each mismatch. Reads objects only, so an ' +
        "auditor's read-only role can run it. --offline checks the seal, attachments and (with " +
        '--earlier) the chain without any store; --chain walks the stored chain of a range of months.',
    )
    .argument('[PACK.pdf]', 'the pack to verify (not with --chain)');
  addStoreOption(command);
  command
    .option(
      '--offline',
      'no store: seal signature, attachments, and the chain against --earlier packs or seals',
    )
    .option('--earlier <FILES>', 'earlier packs or seal.json files, comma-separated, for the chain')
    .option('--public-key <PEM>', 'the public key you trust (pinned); default the key the pack carries')
    .option('--signature <FILE>', "the PDF's detached signature (default PACK.pdf.sig beside it)")
    .option('--chain', 'walk the stored chain of seals from --from to --to (months) and name the first break')
    .option('--from <YYYY-MM>', 'with --chain: the first month')
    .option('--to <YYYY-MM>', 'with --chain: the last month')
    .option(
      '--profile <ID>',
      `with --chain: the profile whose packs are chained (default ${DEFAULT_PROFILE_ID})`,
    )
    .option('--org <ORG>', 'with --chain: the organisation, when the store holds packs of several');
  addJsonOption(command);
  return command.action(cli.action(verify));
}

async function verify(options: VerifyOptions, reporter: Reporter, file?: string): Promise<ExitStatus> {
  if (options.chain) {
    if (file !== undefined) throw new UsageError(file, 'unexpected argument: --chain takes --from and --to');
    return verifyStoredChain(options, reporter);
  }
  for (const [name, value] of [
    ['--from', options.from],
    ['--to', options.to],
    ['--profile', options.profile],
    ['--org', options.org],
  ] as const) {
    if (value !== undefined) throw new UsageError(name, 'goes with --chain');
  }
  if (file === undefined)
    throw new UsageError('PACK.pdf', 'missing: name the pack to verify (cm01 verify PACK.pdf)');
  if (options.offline && options.store) throw new UsageError('--store', '--offline reads no store');
  const pdf = await readPackFile(file);
  // Not a pack (not a PDF, damaged, no manifest): said before any store is opened.
  assertPackManifest(readPackAttachments(pdf).get('manifest.json'), file);
  // The detached signature of the PDF travels beside it as <pack>.pdf.sig.
  const pdfSignature = options.signature
    ? await readInput(options.signature, '--signature')
    : await readInput(`${file}.sig`, '--signature').catch(() => undefined);
  const earlier = await Promise.all(
    (options.earlier ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0)
      .map(async (name) => ({ name, bytes: await readInput(name, '--earlier') })),
  );
  const trusted = options.publicKey
    ? new TextDecoder().decode(await readInput(options.publicKey, '--public-key'))
    : undefined;
  const store = options.offline ? undefined : await openReadableStore(storeUrlOf(options));
  reporter.startProgress('verifying', 0, 'objects');
  const result = await verifyPack(store ? { store } : {}, {
    pdf,
    ...(pdfSignature ? { pdfSignature } : {}),
    earlier,
    ...(trusted !== undefined ? { trustedPublicKeyPem: trusted } : {}),
    onProgress: (done, total) => {
      reporter.setProgressTotal(total);
      reporter.progress({ value: done });
    },
  });
  reporter.stopProgress();
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
      ? result.offline
        ? 'verified offline: the pack matches its signed seal'
        : 'verified: the whole pack matches its seal and the store'
      : `FAILED: ${result.findings.length} mismatch(es)`,
  ];
  reporter.result(lines, result);
  return result.ok ? 0 : 1;
}

async function verifyStoredChain(options: VerifyOptions, reporter: Reporter): Promise<ExitStatus> {
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
  const store = await openReadableStore(storeUrlOf(options));
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
  reporter.result(lines, result);
  return result.ok ? 0 : 1;
}

async function readInput(path: string, field: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error: unknown) {
    throw new InputError(field, `cannot read ${path}`, { cause: error });
  }
}

/** A pack's manifest.json: present, JSON, with entries and their digest; else not a cm01 pack. */
function assertPackManifest(bytes: Uint8Array | undefined, file: string): void {
  if (!bytes) throw new InputError('PACK.pdf', `${file} carries no manifest.json: not a cm01 pack`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error: unknown) {
    throw new InputError('PACK.pdf', `the manifest.json of ${file} is not JSON`, { cause: error });
  }
  const shaped =
    typeof manifest === 'object' &&
    manifest !== null &&
    Array.isArray((manifest as { entries?: unknown }).entries) &&
    typeof (manifest as { manifestDigest?: unknown }).manifestDigest === 'string';
  if (!shaped) throw new InputError('PACK.pdf', `the manifest.json of ${file} is not a cm01 pack manifest`);
}
