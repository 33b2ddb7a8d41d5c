import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { readPackAttachments } from '../../../lambdas/adapters/pdf/read-attachments.ts';
import { InputError } from '../../../lambdas/errors.ts';
import { sha256Hex } from '../../../lambdas/evidence/canonical-json.ts';
import type { EvidenceStore } from '../../../lambdas/evidence/ports.ts';
import { verifyManifest } from '../../../lambdas/pack/verify-pack.ts';
import { openReadableStore } from '../compose.ts';
import type { CliContext, ExitStatus } from '../context.ts';
import { addJsonOption, addStoreOption, type StoreOptions, storeUrlOf } from '../options.ts';
import type { Reporter } from '../output.ts';

interface VerifyOptions extends StoreOptions {
  readonly json?: boolean;
}

/** `cm01 verify PACK.pdf`: re-read every evidence object the pack names and compare. */
export function verifyCommand(cli: CliContext): Command {
  const command = new Command('verify')
    .summary('check a pack against the evidence in the store')
    .description(
      "Re-read every evidence object the pack's manifest names, by key and version, and compare its " +
        'bytes, recorded SHA-256 and retention with what the pack recorded. Exits 1 naming each object ' +
        "that does not match. Reads objects only, so an auditor's read-only role can run it.",
    )
    .argument('<PACK.pdf>', 'the pack to verify');
  addStoreOption(command);
  addJsonOption(command);
  return command.action(cli.action(verify));
}

async function verify(options: VerifyOptions, reporter: Reporter, file: string): Promise<ExitStatus> {
  const storeUrl = storeUrlOf(options);
  let pdf: Uint8Array;
  try {
    pdf = await readFile(file);
  } catch (error: unknown) {
    throw new InputError('PACK.pdf', `cannot read ${file}`, { cause: error });
  }
  let manifestBytes: Uint8Array | undefined;
  try {
    manifestBytes = readPackAttachments(pdf).get('manifest.json');
  } catch (error: unknown) {
    throw new InputError('PACK.pdf', `${file} is not a readable PDF pack`, { cause: error });
  }
  if (!manifestBytes) throw new InputError('PACK.pdf', `${file} carries no manifest.json: not a cm01 pack`);
  const manifest = parseManifest(manifestBytes);
  const store = await openReadableStore(storeUrl);
  reporter.startProgress('verifying', manifest.entries.length, 'objects');
  const result = await verifyManifest(
    store,
    { entries: manifest.entries, digest: manifest.manifestDigest },
    { onProgress: (done) => reporter.progress({ value: done }) },
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
  reporter.result(lines, { ok, ...result, storedPack });
  return ok ? 0 : 1;
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
