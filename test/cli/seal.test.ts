import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cm01Async as cm01 } from './run-cli.ts';

/**
 * Sealed, signed and chained packs as an auditor checks them: the demo organisation packed for
 * three months in order into the embedded store; then the whole pack verified with the store,
 * offline, and with openssl, qpdf/pdfdetach and sha256sum alone; then every kind of tampering
 * (an attachment, the PDF's text, the seal, the signature, the key, the chain) named by verify.
 */
// Each test runs the command line several times on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });
let work: string;
let store: string;
let out: string;
const stem = (period: string) => `cm01-acme-${period}-clicki`;
const pack = (period: string, ext = '.pdf') => join(out, `${stem(period)}${ext}`);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cm01-seal-'));
  store = `local:${join(work, 'store')}`;
  out = join(work, 'out');
  for (const period of ['2026-08', '2026-09', '2026-10']) {
    const result = await cm01([
      'run',
      '--period',
      period,
      '--profile',
      'clicki',
      '--store',
      store,
      '--out',
      out,
    ]);
    expect(result.status, result.stderr).toBe(0);
  }
}, 240_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function tool(
  command: string,
  args: readonly string[],
  cwd?: string,
): { status: number | null; out: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

/** A copy of the pack with one embedded file replaced, written the way an editor would: with qpdf. */
function withAttachment(pdf: string, name: string, bytes: Uint8Array | string, target: string): string {
  const dir = join(work, `edit-${Math.random().toString(16).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, name), bytes);
  execFileSync('qpdf', [
    pdf,
    '--add-attachment',
    join(dir, name),
    `--key=${name}`,
    '--replace',
    '--',
    target,
  ]);
  return target;
}

function attachmentOf(pdf: string, name: string): Buffer {
  return execFileSync('qpdf', [`--show-attachment=${name}`, pdf]);
}

describe('a sealed pack', () => {
  it('verifies whole against the store, byte-identical to the locked stored pack', async () => {
    const result = await cm01(['verify', pack('2026-10'), '--store', store]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/byte-identical to the locked stored pack/);
    expect(result.stdout).toMatch(/verified: the whole pack matches its seal and the store/);
  });

  it('verifies offline, with the earlier packs as the chain and the published key pinned', async () => {
    // The key published beside the packs (packs/keys/<fingerprint>.pem), read from the store's files.
    const keysDir = join(work, 'store', 'objects', 'packs', 'keys');
    const [versions] = readdirSync(keysDir);
    const current = readFileSync(join(keysDir, versions as string, 'current'), 'utf8').trim();
    const published = readFileSync(join(keysDir, versions as string, `${current}.data`));
    const keyFile = join(work, 'published.pem');
    writeFileSync(keyFile, published);
    const result = await cm01([
      'verify',
      pack('2026-10'),
      '--offline',
      '--earlier',
      `${pack('2026-09')},${pack('2026-08', '.seal.json')}`,
      '--public-key',
      keyFile,
      '--json',
    ]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.offline).toBe(true);
    expect(summary.findings).toEqual([]);
    expect(summary.pack.previous.period).toBe('2026-09');
    // The detached .pdf.sig beside the PDF was found and checked: no note says the pages were not.
    expect(summary.notes.join('\n')).not.toMatch(/pages were not checked/);
  });

  it('checks with openssl, pdfdetach and sha256sum alone, as docs/verification.md says', async () => {
    const dir = join(work, 'by-hand');
    mkdirSync(dir);
    expect(tool('pdfdetach', ['-saveall', pack('2026-10')], dir).status).toBe(0);
    const verified = tool(
      'openssl',
      ['dgst', '-sha256', '-verify', 'public-key.pem', '-signature', 'seal.sig', 'seal.json'],
      dir,
    );
    expect(verified.out.trim()).toBe('Verified OK');
    const fingerprint = execFileSync(
      'sh',
      ['-c', 'openssl pkey -pubin -in public-key.pem -outform DER | sha256sum'],
      {
        cwd: dir,
      },
    )
      .toString()
      .split(/\s+/)[0];
    expect(JSON.parse(readFileSync(join(dir, 'seal.json'), 'utf8')).key.publicKeySha256).toBe(fingerprint);
    const sums = tool('sha256sum', ['manifest.json', 'population.csv', 'exceptions.csv'], dir).out;
    const seal = JSON.parse(readFileSync(join(dir, 'seal.json'), 'utf8'));
    for (const line of sums.trim().split('\n')) {
      const [digest, name] = line.split(/\s+/);
      expect(seal.files[name as string], name).toBe(digest);
    }
    // The chain by hand: the previous seal's SHA-256 is the one this seal names.
    const previous = tool('sha256sum', [pack('2026-09', '.seal.json')]).out.split(/\s+/)[0];
    expect(seal.previous.sealSha256).toBe(previous);
    // qpdf gives the same files; the PDF's own bytes check against its detached signature.
    expect(attachmentOf(pack('2026-10'), 'seal.json').equals(readFileSync(join(dir, 'seal.json')))).toBe(
      true,
    );
    const pdfVerified = tool('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      join(dir, 'public-key.pem'),
      '-signature',
      pack('2026-10', '.pdf.sig'),
      pack('2026-10'),
    ]);
    expect(pdfVerified.out.trim()).toBe('Verified OK');
  });

  it('openssl refuses a seal.json edited after signing', async () => {
    const dir = join(work, 'by-hand-tampered');
    mkdirSync(dir);
    tool('pdfdetach', ['-saveall', pack('2026-10')], dir);
    const seal = readFileSync(join(dir, 'seal.json'), 'utf8');
    writeFileSync(join(dir, 'seal.json'), seal.replace('"org":"acme"', '"org":"acne"'));
    const verified = tool(
      'openssl',
      ['dgst', '-sha256', '-verify', 'public-key.pem', '-signature', 'seal.sig', 'seal.json'],
      dir,
    );
    expect(verified.status).toBe(1);
    expect(verified.out).toMatch(/Verification failure/);
  });
});

describe('verify names what was altered', () => {
  it('an edited exceptions.csv, offline and against the store', async () => {
    const csv = attachmentOf(pack('2026-10'), 'exceptions.csv').toString('utf8');
    const lines = csv.split('\r\n');
    // The attack an auditor fears: an exception quietly removed.
    const edited = withAttachment(
      pack('2026-10'),
      'exceptions.csv',
      [lines[0], ...lines.slice(2)].join('\r\n'),
      join(work, 'fewer-exceptions.pdf'),
    );
    const offline = await cm01(['verify', edited, '--offline']);
    expect(offline.status).toBe(1);
    expect(offline.stdout).toMatch(/MISMATCH exceptions\.csv: SHA-256 is [0-9a-f]{64}, the seal records/);
    const online = await cm01(['verify', edited, '--store', store]);
    expect(online.status).toBe(1);
    expect(online.stdout).toMatch(/MISMATCH exceptions\.csv: SHA-256/);
    expect(online.stdout).toMatch(/MISMATCH the PDF: its bytes .* differ from the locked stored pack/);
  });

  it.each(['manifest.json', 'population.csv'])('an edited %s', async (name) => {
    const original = attachmentOf(pack('2026-10'), name).toString('utf8');
    const edited = withAttachment(
      pack('2026-10'),
      name,
      // One character of the first evidence object's version id, or the first verdict.
      name === 'manifest.json'
        ? original.replace(/"versionId":"(.)/, (_m, c: string) => `"versionId":"${c === '0' ? '1' : '0'}`)
        : original.replace(',pass', ',fail'),
      join(work, `edited-${name}.pdf`),
    );
    const result = await cm01(['verify', edited, '--offline']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`MISMATCH ${name.replace('.', '\\.')}`));
  });

  it("the PDF's text, against the store and offline with its .pdf.sig", async () => {
    const bytes = readFileSync(pack('2026-10'));
    const text = bytes.toString('latin1');
    const at = text.indexOf('/Title (');
    expect(at).toBeGreaterThan(0);
    // Same length, so the cross-reference offsets stay valid and the PDF still opens.
    const edited = Buffer.from(bytes);
    edited.write('/Title (XM', at, 'latin1');
    const file = join(work, 'retitled.pdf');
    writeFileSync(file, edited);
    copyFileSync(pack('2026-10', '.pdf.sig'), `${file}.sig`);
    const online = await cm01(['verify', file, '--store', store]);
    expect(online.status).toBe(1);
    expect(online.stdout).toMatch(/MISMATCH the PDF: its bytes/);
    const offline = await cm01(['verify', file, '--offline']);
    expect(offline.status).toBe(1);
    expect(offline.stdout).toMatch(/MISMATCH the PDF: its bytes do not match the detached signature/);
  });

  it('a seal edited to match an edited file: its signature fails', async () => {
    const seal = JSON.parse(attachmentOf(pack('2026-10'), 'seal.json').toString('utf8'));
    seal.supersedes = null;
    seal.org = 'acme';
    seal.toolVersion = 'cm01-evidence/9.9.9';
    const file = withAttachment(pack('2026-10'), 'seal.json', JSON.stringify(seal), join(work, 'reseal.pdf'));
    const result = await cm01(['verify', file, '--offline']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/MISMATCH seal\.sig: the signature does not match/);
  });

  it('a damaged signature', async () => {
    const signature = attachmentOf(pack('2026-10'), 'seal.sig');
    signature[signature.length - 3] = (signature[signature.length - 3] as number) ^ 0xff;
    const file = withAttachment(pack('2026-10'), 'seal.sig', signature, join(work, 'bad-sig.pdf'));
    const result = await cm01(['verify', file, '--offline']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/MISMATCH seal\.sig/);
  });

  it('a pack re-sealed with a forger’s own key: named with the pinned key and by the store', async () => {
    // The forger edits exceptions.csv, rewrites the seal to match and signs it with a key of
    // their own, embedded in place of ours: consistent in itself, so only the key can tell.
    const csv = attachmentOf(pack('2026-10'), 'exceptions.csv').toString('utf8');
    const forgedCsv = csv.split('\r\n').slice(0, 1).concat('').join('\r\n');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const seal = JSON.parse(attachmentOf(pack('2026-10'), 'seal.json').toString('utf8'));
    seal.files['exceptions.csv'] = sha256(forgedCsv);
    seal.key.publicKeySha256 = sha256(der);
    const sealJson = canonical(seal);
    let file = withAttachment(pack('2026-10'), 'exceptions.csv', forgedCsv, join(work, 'forged-1.pdf'));
    file = withAttachment(file, 'seal.json', sealJson, join(work, 'forged-2.pdf'));
    file = withAttachment(
      file,
      'seal.sig',
      sign('sha256', Buffer.from(sealJson), { key: privateKey, dsaEncoding: 'der' }),
      join(work, 'forged-3.pdf'),
    );
    file = withAttachment(file, 'public-key.pem', pem, join(work, 'forged.pdf'));
    const unpinned = await cm01(['verify', file, '--offline']);
    expect(unpinned.stdout).toMatch(
      /the embedded key proves the pack unaltered since sealing, not who sealed it/,
    );
    const pinned = await cm01([
      'verify',
      file,
      '--offline',
      '--public-key',
      pack('2026-10', '.public-key.pem'),
    ]);
    expect(pinned.status).toBe(1);
    expect(pinned.stdout).toMatch(
      /MISMATCH public-key\.pem: the pack is signed by key [0-9a-f]{64}, not by the trusted key/,
    );
    const online = await cm01(['verify', file, '--store', store]);
    expect(online.status).toBe(1);
    expect(online.stdout).toMatch(/MISMATCH public-key\.pem: key [0-9a-f]{64} is not published in the store/);
  });

  it('a chain given offline that does not link: a rebuilt earlier month', async () => {
    const seal = JSON.parse(readFileSync(pack('2026-09', '.seal.json'), 'utf8'));
    seal.generatedAt = '2026-10-02T00:00:00.000Z';
    const rebuilt = join(work, 'rebuilt-2026-09.seal.json');
    writeFileSync(rebuilt, canonical(seal));
    const result = await cm01(['verify', pack('2026-10'), '--offline', '--earlier', rebuilt]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /MISMATCH chain 2026-09 → 2026-10: 2026-10 names 2026-09 seal [0-9a-f]{64}, the 2026-09 seal given is [0-9a-f]{64}: rebuilt or replaced/,
    );
  });
});

describe('the chain in the store, and re-issues', () => {
  it('holds from the first month to the last', async () => {
    const result = await cm01([
      'verify',
      '--chain',
      '--from',
      '2026-08',
      '--to',
      '2026-10',
      '--profile',
      'clicki',
      '--store',
      store,
    ]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/verified: the chain of acme clicki holds from 2026-08 to 2026-10/);
  });

  it('a pack rebuilt for an earlier month: both issues retained and listed, the chain names the break', async () => {
    const first = readFileSync(pack('2026-09'));
    // Re-issue September under another key: the content changes, so its seal names the first issue.
    const rebuilt = await cm01(
      [
        'pack',
        '--period',
        '2026-09',
        '--profile',
        'clicki',
        '--store',
        store,
        '--out',
        join(work, 'reissue'),
        '--reason',
        'late evidence of a hotfix',
      ],
      {
        env: { CM01_SIGNING_KEY: join(work, 'second-key.pem') },
      },
    );
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    const seal = JSON.parse(readFileSync(join(work, 'reissue', `${stem('2026-09')}.seal.json`), 'utf8'));
    // Another key, and (with deployments read up to the settle time) evidence October's collection added.
    expect(seal.supersedes).toMatchObject({ reason: 'late evidence of a hotfix' });
    expect(seal.supersedes.changed).toContain('key');
    expect(seal.supersedes.sealSha256).toBe(sha256(readFileSync(pack('2026-09', '.seal.json'))));

    const list = await cm01(['packs', 'list', '--store', store, '--json']);
    const listed = JSON.parse(list.stdout).packs.find((p: { key: string }) =>
      p.key.endsWith(`${stem('2026-09')}.pdf`),
    );
    expect(listed.issues).toHaveLength(2);
    expect(listed.issues[1].supersedes.reason).toBe('late evidence of a hotfix');

    const chain = await cm01([
      'verify',
      '--chain',
      '--from',
      '2026-08',
      '--to',
      '2026-10',
      '--profile',
      'clicki',
      '--store',
      store,
    ]);
    expect(chain.status).toBe(1);
    expect(chain.stdout).toMatch(/FAILED: the chain of acme clicki first breaks at chain 2026-09 → 2026-10/);
    expect(chain.stdout).toMatch(
      /2026-09 was re-issued after 2026-10 was sealed \(late evidence of a hotfix\)/,
    );

    // The first issue is still there and still authentic, but named as superseded.
    const old = join(work, 'first-issue.pdf');
    writeFileSync(old, first);
    const verifyOld = await cm01(['verify', old, '--store', store]);
    expect(verifyOld.status).toBe(1);
    expect(verifyOld.stdout).toMatch(
      /MISMATCH the PDF: superseded: it is version .*\(re-issued: late evidence of a hotfix; changed: [^)]*\bkey\b[^)]*\)/,
    );
    // October re-issued onto the new September seal: the chain holds again.
    const october = await cm01(
      [
        'pack',
        '--period',
        '2026-10',
        '--profile',
        'clicki',
        '--store',
        store,
        '--out',
        join(work, 'reissue'),
        '--reason',
        'chain to the re-issued September',
      ],
      {
        env: { CM01_SIGNING_KEY: join(work, 'second-key.pem') },
      },
    );
    expect(october.status, october.stderr).toBe(0);
    const again = await cm01([
      'verify',
      '--chain',
      '--from',
      '2026-08',
      '--to',
      '2026-10',
      '--profile',
      'clicki',
      '--store',
      store,
    ]);
    expect(again.status, again.stdout).toBe(0);
  });

  it('packing the same period again with nothing new reuses the seal and writes nothing', async () => {
    const before = readFileSync(join(work, 'reissue', `${stem('2026-10')}.pdf`));
    const result = await cm01(
      [
        'pack',
        '--period',
        '2026-10',
        '--profile',
        'clicki',
        '--store',
        store,
        '--out',
        join(work, 'same'),
        '--json',
      ],
      {
        env: { CM01_SIGNING_KEY: join(work, 'second-key.pem') },
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(work, 'same', `${stem('2026-10')}.pdf`)).equals(before)).toBe(true);
    // The detached signature too: ECDSA is randomised, so a fresh one would be a new version.
    expect(
      readFileSync(join(work, 'same', `${stem('2026-10')}.pdf.sig`)).equals(
        readFileSync(join(work, 'reissue', `${stem('2026-10')}.pdf.sig`)),
      ),
    ).toBe(true);
  });
});

describe('a profile file claiming a shipped profile’s id', () => {
  it.each(['clicki', 'clerk-cm01'])('is refused (%s), and nothing is written', async (id) => {
    const profile = JSON.parse(
      execFileSync(
        process.execPath,
        ['-e', "process.stdout.write(JSON.stringify(require('./lambdas/core/profiles/clicki.json')))"],
        {
          cwd: join(import.meta.dirname, '..', '..'),
        },
      ).toString(),
    );
    profile.id = id;
    const file = join(work, `impostor-${id}.json`);
    writeFileSync(file, JSON.stringify(profile));
    const target = join(work, `impostor-out-${id}`);
    const result = await cm01([
      'pack',
      '--period',
      '2026-10',
      '--profile',
      file,
      '--store',
      store,
      '--out',
      target,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--profile: profile file .* claims the id .* of the shipped profile/);
    expect(existsSync(target)).toBe(false);
  });
});

describe('cm01 sample', () => {
  it('draws the same bundle twice for one seed, stores the sample and names it in the next verify', async () => {
    const args = (dir: string) => [
      'sample',
      '--period',
      '2026-10',
      '--profile',
      'clicki',
      '--size',
      '4',
      '--seed',
      'audit-2026',
      '--store',
      store,
      '--out',
      dir,
    ];
    const a = await cm01(args(join(work, 'sample-a')));
    const b = await cm01(args(join(work, 'sample-b')));
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const bundle = 'cm01-acme-2026-10-clicki.sample-audit-2026';
    const files = listFiles(join(work, 'sample-a', bundle));
    expect(files.filter((f) => f.endsWith('summary.pdf'))).toHaveLength(4);
    expect(files.filter((f) => f.endsWith('item.json'))).toHaveLength(4);
    for (const file of files) {
      expect(
        readFileSync(join(work, 'sample-b', bundle, file)).equals(
          readFileSync(join(work, 'sample-a', bundle, file)),
        ),
        file,
      ).toBe(true);
    }
    const sample = JSON.parse(readFileSync(join(work, 'sample-a', bundle, 'sample.json'), 'utf8'));
    expect(sample.seed).toBe('audit-2026');
    // Reproducible with sha256sum: the rank is SHA-256 of "<seed>:<repo>:<type>:<pr>:<sha>".
    const item = sample.items[0];
    expect(item.rank).toBe(
      sha256(`audit-2026:${item.repo}:${item.changeType}:${item.prNumber}:${item.commitSha}`),
    );
    const itemJson = JSON.parse(
      readFileSync(
        join(work, 'sample-a', bundle, files.find((f) => f.endsWith('item.json')) as string),
        'utf8',
      ),
    );
    expect(itemJson.verdicts.length).toBeGreaterThan(5);
    expect(itemJson.verdicts[0].reasons.length).toBeGreaterThan(0);
    for (const e of itemJson.evidence) expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);

    const verified = await cm01([
      'verify',
      join(work, 'reissue', `${stem('2026-10')}.pdf`),
      '--store',
      store,
    ]);
    expect(verified.stdout).toMatch(
      /audit sample packs\/2026-10\/samples\/cm01-acme-2026-10-clicki\.sample-audit-2026\.json .* seed audit-2026, 4 of \d+ changes, drawn from seal of this pack/,
    );
  });

  it('refuses a size larger than the population, naming --size, and an unknown control', async () => {
    const big = await cm01([
      'sample',
      '--period',
      '2026-10',
      '--profile',
      'clicki',
      '--size',
      '100000',
      '--store',
      store,
      '--out',
      join(work, 'no'),
    ]);
    expect(big.status).toBe(1);
    expect(big.stderr).toMatch(/--size: 100000 is more than the \d+ changes/);
    const control = await cm01([
      'sample',
      '--period',
      '2026-10',
      '--profile',
      'clicki',
      '--control',
      'NOPE',
      '--store',
      store,
      '--out',
      join(work, 'no'),
    ]);
    expect(control.status).toBe(1);
    expect(control.stderr).toMatch(/--control: "NOPE" is not a control of clicki/);
    expect(existsSync(join(work, 'no'))).toBe(false);
  });
});

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(dir, join(prefix, entry.name)) : [join(prefix, entry.name)],
  );
}

function sha256(data: string | Uint8Array): string {
  return execFileSync('sha256sum', { input: data }).toString().split(/\s+/)[0] as string;
}

/** The seal's canonical form: keys sorted at every level, no white space. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value));
}
