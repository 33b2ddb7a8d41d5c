import { generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCollecting } from './run-cli.ts';

/**
 * Bad input at the command line, every door (issue 8): each case runs the real `cm01` in a
 * child process, as a person or a script would, and asserts the exit status of the contract
 * (cli.md: 2 for a malformed option or value, 1 for a failure), that the message names the bad
 * field, that no stack trace is printed, and that nothing was written — the working folder
 * (where the default store `./.cm01` and output `./out` would go, and where every case's own
 * store and output live) is byte-for-byte as before, with no empty folder left behind.
 *
 * Permission cases run the child as an unprivileged user when the tests run as root (root
 * ignores permission bits), and as the current user otherwise.
 */

const CM01 = fileURLToPath(new URL('../../bin/cm01.js', import.meta.url));
const DEMO_WORLD = fileURLToPath(new URL('../../emulator/worlds/demo.world.json', import.meta.url));
const NOBODY = 65_534;
const RUNS_AS_ROOT = process.getuid?.() === 0;

/** Where a case runs: its own empty working folder, and files made once for every case. */
interface Paths {
  /** The case's working folder: must be unchanged after the run. */
  readonly cwd: string;
  /** `local:<cwd>/store`. */
  readonly store: string;
  /** `<cwd>/out`. */
  readonly out: string;
  readonly world: string;
  /** A file prepared in beforeAll (outside the working folder). */
  fixture(name: string): string;
}

interface BadInput {
  readonly name: string;
  readonly args: (p: Paths) => string[];
  readonly status: 1 | 2;
  /** Must appear in the error output: the option, setting or field at fault. */
  readonly field: string;
  readonly env?: (p: Paths) => Record<string, string>;
  /** Make something in the working folder before the run (it is part of the "before" snapshot). */
  readonly arrange?: (p: Paths) => void;
  /** Run without privileges (permission cases). */
  readonly unprivileged?: boolean;
}

const store = (p: Paths) => ['--store', p.store];
const world = (p: Paths) => ['--github-world', p.world];
const collect = (p: Paths, ...rest: string[]) => ['collect', ...world(p), ...store(p), ...rest];
const run = (p: Paths, ...rest: string[]) => ['run', ...store(p), '--out', p.out, ...rest];
const pack = (p: Paths, ...rest: string[]) => ['pack', ...store(p), '--out', p.out, ...rest];
const download = (p: Paths, ...rest: string[]) => ['packs', 'download', ...store(p), '--out', p.out, ...rest];
/** Collect from "github.com" with only the environment's credentials; nothing listens there. */
const githubEnv = (extra: Record<string, string>) => () => ({
  GITHUB_API_URL: 'http://127.0.0.1:9',
  ...extra,
});
const orgCollect = (p: Paths) => ['collect', '--org', 'acme', '--period', '2026-10', ...store(p)];

const periods: BadInput[] = [
  ['2026-13', 'month 13'],
  ['2026-00', 'month 00'],
  ['2026-1', 'one-digit month'],
  ['26-10', 'two-digit year'],
  ['2026-10-01', 'a date, not a month'],
  ['', 'empty'],
  ['october', 'a word'],
  ['0026-10', 'year 26 (Date.UTC would read 1926)'],
  ['2026-10 ', 'trailing space'],
].map(([value, why]) => ({
  name: `run --period "${value}" (${why})`,
  args: (p: Paths) => run(p, '--period', value as string),
  status: 2 as const,
  field: '--period',
}));

const times: BadInput[] = [
  ['2026-02-30', 'February 30th'],
  ['2026-02-29', 'a leap day in a common year'],
  ['2100-02-29', 'a leap day in a century year that is not a leap year'],
  ['2026-04-31', 'April 31st'],
  ['2026-13-01', 'month 13'],
  ['2026-00-10', 'month 00'],
  ['2026-10-32', 'day 32'],
  ['2026-10-00', 'day 00'],
  ['2026-10-01T24:00:00Z', 'hour 24'],
  ['2026-10-01T12:60Z', 'minute 60'],
  ['2026-10-01T12:00:61Z', 'second 61'],
  ['2026-10-01T12:00:00+25:00', 'offset +25:00'],
  ['yesterday', 'a word'],
  ['1696118400', 'epoch seconds'],
  ['2026/10/01', 'slashes'],
  ['2026-10-01 12:00', 'a space for the T'],
].map(([value, why]) => ({
  name: `collect --from "${value}" (${why})`,
  args: (p: Paths) => collect(p, '--from', value as string, '--to', '2026-10-31'),
  status: 2 as const,
  field: '--from',
}));

const windows: BadInput[] = [
  {
    name: 'run --to 2026-02-30 (impossible end)',
    args: (p) => run(p, '--from', '2026-02-01', '--to', '2026-02-30'),
    status: 2,
    field: '--to',
  },
  {
    name: 'collect --from after --to',
    args: (p) => collect(p, '--from', '2026-10-10', '--to', '2026-10-01'),
    status: 2,
    field: '--to',
  },
  {
    name: 'collect --from equal to --to (an empty window)',
    args: (p) => collect(p, '--from', '2026-10-01T00:00:00Z', '--to', '2026-10-01T00:00:00Z'),
    status: 2,
    field: '--to',
  },
  {
    name: 'collect --from without --to',
    args: (p) => collect(p, '--from', '2026-10-01'),
    status: 2,
    field: '--to',
  },
  {
    name: 'collect --to without --from',
    args: (p) => collect(p, '--to', '2026-10-01'),
    status: 2,
    field: '--from',
  },
  {
    name: 'run with both --period and --from/--to',
    args: (p) => run(p, '--period', '2026-10', '--from', '2026-10-01', '--to', '2026-10-05'),
    status: 2,
    field: '--period',
  },
  {
    name: 'pack with both --period and --to',
    args: (p) => pack(p, '--period', '2026-10', '--to', '2026-10-05'),
    status: 2,
    field: '--period',
  },
  {
    name: 'collect a month after the source’s clock (a future window)',
    args: (p) => collect(p, '--period', '2026-12'),
    status: 1,
    field: '--period',
  },
  {
    name: 'collect a range starting after the source’s clock',
    args: (p) => collect(p, '--from', '2026-11-15', '--to', '2026-12-01'),
    status: 1,
    field: '--from',
  },
  {
    name: 'run a month far in the future',
    args: (p) => run(p, '--period', '2099-01'),
    status: 1,
    field: '--period',
  },
];

const usage: BadInput[] = [
  { name: 'an unknown command', args: () => ['frobnicate'], status: 2, field: 'frobnicate' },
  { name: 'run with a stray argument', args: (p) => run(p, 'extra'), status: 2, field: 'extra' },
  {
    name: 'collect with a stray argument',
    args: (p) => collect(p, '--period', '2026-10', 'payments-api'),
    status: 2,
    field: 'payments-api',
  },
  { name: 'pack with a stray argument', args: (p) => pack(p, '2026-10'), status: 2, field: '2026-10' },
  {
    name: 'packs list with a stray argument',
    args: (p) => ['packs', 'list', ...store(p), 'everything'],
    status: 2,
    field: 'everything',
  },
  {
    name: 'packs download with a stray argument',
    args: (p) => download(p, '--period', '2026-10', 'now'),
    status: 2,
    field: 'now',
  },
  {
    name: 'store init with a stray argument',
    args: (p) => ['store', 'init', ...store(p), 'please'],
    status: 2,
    field: 'please',
  },
  {
    name: 'verify with two files',
    args: (p) => ['verify', p.fixture('not-a-pdf.pdf'), p.fixture('not-a-pdf.pdf'), ...store(p)],
    status: 2,
    field: 'not-a-pdf.pdf',
  },
  { name: 'verify without a file', args: (p) => ['verify', ...store(p)], status: 2, field: 'PACK.pdf' },
  { name: 'store without a subcommand', args: (p) => ['store', ...store(p)], status: 2, field: 'store' },
  {
    name: 'store with an unknown subcommand',
    args: (p) => ['store', 'wipe', ...store(p)],
    status: 2,
    field: 'wipe',
  },
  {
    name: 'packs with an unknown subcommand',
    args: (p) => ['packs', 'delete', ...store(p)],
    status: 2,
    field: 'delete',
  },
  { name: 'an unknown option', args: (p) => run(p, '--bogus'), status: 2, field: '--bogus' },
  { name: 'an unknown short option', args: (p) => run(p, '-x'), status: 2, field: '-x' },
  { name: 'an option without its value', args: (p) => [...run(p), '--period'], status: 2, field: '--period' },
  { name: 'a value given to a flag', args: (p) => run(p, '--json=yes'), status: 2, field: '--json' },
  {
    name: 'an option of another command (verify --kinds)',
    args: (p) => ['verify', p.fixture('not-a-pdf.pdf'), '--kinds', 'teams', ...store(p)],
    status: 2,
    field: '--kinds',
  },
  {
    name: 'an option of another command (run --retention-days)',
    args: (p) => run(p, '--retention-days', '30'),
    status: 2,
    field: '--retention-days',
  },
  {
    name: 'packs download with --from (months only)',
    args: (p) => download(p, '--period', '2026-10', '--from', '2026-10-01'),
    status: 2,
    field: '--from',
  },
  {
    name: 'both --github-world and --org',
    args: (p) => collect(p, '--org', 'acme', '--period', '2026-10'),
    status: 2,
    field: '--github-world',
  },
];

const kindsAndRepos: BadInput[] = [
  {
    name: 'an unknown kind',
    args: (p) => collect(p, '--period', '2026-10', '--kinds', 'pull-requests,issues'),
    status: 2,
    field: 'kinds',
  },
  {
    name: 'an empty --kinds',
    args: (p) => collect(p, '--period', '2026-10', '--kinds', ''),
    status: 2,
    field: 'kinds',
  },
  {
    name: 'an empty --repos',
    args: (p) => collect(p, '--period', '2026-10', '--repos', ''),
    status: 2,
    field: 'repos',
  },
  {
    name: 'a malformed repository name',
    args: (p) => collect(p, '--period', '2026-10', '--repos', 'web app'),
    status: 2,
    field: 'repos',
  },
  {
    name: 'a repository of another organisation',
    args: (p) => collect(p, '--period', '2026-10', '--repos', 'evil-corp/web-app'),
    status: 2,
    field: 'repos',
  },
  {
    name: 'a repository the organisation does not have',
    args: (p) => collect(p, '--period', '2026-10', '--repos', 'no-such-repo'),
    status: 1,
    field: 'no-such-repo',
  },
];

const profiles: BadInput[] = [
  {
    name: 'an unknown shipped profile id',
    args: (p) => pack(p, '--period', '2026-10', '--profile', 'sox'),
    status: 2,
    field: '--profile',
  },
  {
    name: 'an empty --profile',
    args: (p) => run(p, '--period', '2026-10', '--profile', ''),
    status: 2,
    field: '--profile',
  },
  {
    name: 'a profile file that does not exist',
    args: (p) => run(p, '--period', '2026-10', '--profile', p.fixture('missing.profile.json')),
    status: 1,
    field: '--profile',
  },
  {
    name: 'a profile file that is not JSON',
    args: (p) => run(p, '--period', '2026-10', '--profile', p.fixture('not-json.profile.json')),
    status: 1,
    field: '--profile',
  },
  {
    name: 'a profile file with a field of the wrong type',
    args: (p) => run(p, '--period', '2026-10', '--profile', p.fixture('wrong-type.profile.json')),
    status: 1,
    field: 'id',
  },
  {
    name: 'a 50 MB profile file (refused by its size)',
    args: (p) => run(p, '--period', '2026-10', '--profile', p.fixture('huge.profile.json')),
    status: 1,
    field: '--profile',
  },
  {
    name: 'a folder given as a profile file',
    args: (p) => run(p, '--period', '2026-10', '--profile', p.fixture('profiles.d')),
    status: 1,
    field: '--profile',
  },
  {
    name: 'a device given as a profile file',
    args: (p) => run(p, '--period', '2026-10', '--profile', '/dev/zero'),
    status: 1,
    field: '--profile',
  },
  {
    name: 'an unreadable profile file',
    arrange: (p) => {
      writeFileSync(join(p.cwd, 'secret.profile.json'), '{}');
      chmodSync(join(p.cwd, 'secret.profile.json'), 0o000);
    },
    args: (p) => run(p, '--period', '2026-10', '--profile', join(p.cwd, 'secret.profile.json')),
    status: 1,
    field: '--profile',
    unprivileged: true,
  },
];

const stores: BadInput[] = [
  {
    name: 'an unknown store scheme',
    args: (p) => run(p, '--period', '2026-10', '--store', 'ftp://x'),
    status: 2,
    field: '--store',
  },
  {
    name: 'a store URL without a scheme',
    args: (p) => run(p, '--period', '2026-10', '--store', 'evidence'),
    status: 2,
    field: '--store',
  },
  {
    name: 'local: without a folder',
    args: (p) => run(p, '--period', '2026-10', '--store', 'local:'),
    status: 2,
    field: '--store',
  },
  ...[
    ['s3://Bad_Bucket?table=evidence', 'an invalid bucket name'],
    ['s3://evidence-bucket', 'no table'],
    ['s3://evidence-bucket?table=', 'an empty table'],
    ['s3://evidence-bucket?table=ab', 'a too-short table name'],
    ['s3://evidence-bucket?table=ev%20idence', 'a table name with a space'],
    ['s3://evidence-bucket/prefix?table=evidence', 'a path'],
    ['s3://evidence-bucket:9000?table=evidence', 'a port'],
    ['s3://key:secret@evidence-bucket?table=evidence', 'credentials in the URL'],
    ['s3://evidence-bucket?table=evidence&region=eu-west-1', 'an unknown parameter'],
    ['s3://evidence-bucket?table=a-table&table=b-table', 'two tables'],
    ['s3://evidence..bucket?table=evidence', 'two dots in a row'],
    ['s3://?table=evidence', 'no bucket'],
    ['s3://[::1?table=evidence', 'not a URL at all'],
  ].map(([url, why]) => ({
    name: `--store ${url} (${why})`,
    args: () => ['packs', 'list', '--store', url as string],
    status: 2 as const,
    field: '--store',
  })),
  {
    name: 'a local store under /proc',
    args: (p) => collect(p, '--period', '2026-10', '--store', 'local:/proc/cm01-store'),
    status: 1,
    field: '--store',
  },
  {
    name: 'a local store inside a file of /proc',
    args: (p) => collect(p, '--period', '2026-10', '--store', 'local:/proc/self/status/store'),
    status: 1,
    field: '--store',
  },
  {
    name: 'a local store that is a file',
    arrange: (p) => writeFileSync(join(p.cwd, 'store-file'), 'not a folder'),
    args: (p) => collect(p, '--period', '2026-10', '--store', `local:${join(p.cwd, 'store-file')}`),
    status: 1,
    field: '--store',
  },
  {
    name: 'a local store below /dev/null',
    args: (p) => collect(p, '--period', '2026-10', '--store', 'local:/dev/null/store'),
    status: 1,
    field: '--store',
  },
  {
    name: 'a local store in a folder that cannot be written',
    arrange: (p) => {
      mkdirSync(join(p.cwd, 'locked'));
      chmodSync(join(p.cwd, 'locked'), 0o555);
    },
    args: (p) => collect(p, '--period', '2026-10', '--store', `local:${join(p.cwd, 'locked', 'store')}`),
    status: 1,
    field: '--store',
    unprivileged: true,
  },
  {
    name: 'an existing local store that cannot be written',
    arrange: (p) => {
      mkdirSync(join(p.cwd, 'store'));
      chmodSync(join(p.cwd, 'store'), 0o555);
    },
    args: (p) => collect(p, '--period', '2026-10'),
    status: 1,
    field: '--store',
    unprivileged: true,
  },
  {
    name: 'an S3 store whose endpoint does not answer',
    args: (p) => collect(p, '--period', '2026-10', '--store', 's3://evidence-bucket?table=evidence'),
    env: () => ({
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
    }),
    status: 1,
    field: 'AWS_ENDPOINT_URL_S3',
  },
  {
    name: 'packs list on an S3 store whose endpoint does not answer',
    args: () => ['packs', 'list', '--store', 's3://evidence-bucket?table=evidence'],
    env: () => ({
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
    }),
    status: 1,
    field: 's3://evidence-bucket',
  },
  {
    name: 'store init under /proc',
    args: () => ['store', 'init', '--store', 'local:/proc/cm01-store'],
    status: 1,
    field: '--store',
  },
];

const outputs: BadInput[] = [
  {
    name: 'run --out a file (checked before anything is collected)',
    arrange: (p) => writeFileSync(join(p.cwd, 'out-file'), 'not a folder'),
    args: (p) => ['run', ...store(p), '--period', '2026-10', '--out', join(p.cwd, 'out-file')],
    status: 1,
    field: '--out',
  },
  {
    name: 'run --out under /proc (checked before anything is collected)',
    args: (p) => ['run', ...store(p), '--period', '2026-10', '--out', '/proc/cm01-out'],
    status: 1,
    field: '--out',
  },
  {
    name: 'run --out a folder that cannot be written',
    arrange: (p) => {
      mkdirSync(join(p.cwd, 'locked'));
      chmodSync(join(p.cwd, 'locked'), 0o555);
    },
    args: (p) => ['run', ...store(p), '--period', '2026-10', '--out', join(p.cwd, 'locked', 'out')],
    status: 1,
    field: '--out',
    unprivileged: true,
  },
  {
    name: 'an empty --out',
    args: (p) => ['run', ...store(p), '--period', '2026-10', '--out', ''],
    status: 2,
    field: '--out',
  },
  {
    name: 'packs download --out a file',
    arrange: (p) => writeFileSync(join(p.cwd, 'out-file'), 'not a folder'),
    args: (p) => ['packs', 'download', ...store(p), '--period', '2026-10', '--out', join(p.cwd, 'out-file')],
    status: 1,
    field: '--out',
  },
];

const sources: BadInput[] = [
  {
    name: 'a world file that does not exist',
    args: (p) => ['collect', '--github-world', p.fixture('missing.world.json'), ...store(p)],
    status: 1,
    field: '--github-world',
  },
  {
    name: 'a world file that is not JSON',
    args: (p) => ['collect', '--github-world', p.fixture('not-json.world.json'), ...store(p)],
    status: 1,
    // The emulator names the file, and the field within it when the JSON is of the wrong shape.
    field: 'not-json.world.json',
  },
  {
    name: 'collect with no source',
    args: (p) => ['collect', '--period', '2026-10', ...store(p)],
    status: 2,
    field: '--github-world',
  },
  {
    name: 'an empty --org',
    args: (p) => ['collect', '--org', '', '--period', '2026-10', ...store(p)],
    status: 2,
    field: '--org',
  },
  {
    name: 'a malformed --org',
    args: (p) => ['collect', '--org', 'acme corp', '--period', '2026-10', ...store(p)],
    env: githubEnv({ GITHUB_TOKEN: 'x'.repeat(20) }),
    status: 2,
    field: '--org',
  },
  {
    name: '--org without any credential',
    args: orgCollect,
    env: githubEnv({}),
    status: 1,
    field: 'GITHUB_TOKEN',
  },
  {
    name: 'a GitHub App key file that does not exist',
    args: orgCollect,
    env: (p) =>
      githubEnv({
        GITHUB_APP_ID: '12345',
        GITHUB_APP_INSTALLATION_ID: '678',
        GITHUB_APP_PRIVATE_KEY_FILE: p.fixture('missing.pem'),
      })(),
    status: 1,
    field: 'GITHUB_APP_PRIVATE_KEY_FILE',
  },
  {
    name: 'a GitHub App key file that is a folder',
    args: orgCollect,
    env: (p) =>
      githubEnv({
        GITHUB_APP_ID: '12345',
        GITHUB_APP_INSTALLATION_ID: '678',
        GITHUB_APP_PRIVATE_KEY_FILE: p.fixture('profiles.d'),
      })(),
    status: 1,
    field: 'GITHUB_APP_PRIVATE_KEY_FILE',
  },
  {
    name: 'a GitHub App key file that holds no key',
    args: orgCollect,
    env: (p) =>
      githubEnv({
        GITHUB_APP_ID: '12345',
        GITHUB_APP_INSTALLATION_ID: '678',
        GITHUB_APP_PRIVATE_KEY_FILE: p.fixture('not-a-key.pem'),
      })(),
    status: 1,
    field: 'GITHUB_APP_PRIVATE_KEY_FILE',
  },
  {
    name: 'a GitHub App key that is an EC key, not RSA',
    args: orgCollect,
    env: (p) =>
      githubEnv({
        GITHUB_APP_ID: '12345',
        GITHUB_APP_INSTALLATION_ID: '678',
        GITHUB_APP_PRIVATE_KEY_FILE: p.fixture('ec.pem'),
      })(),
    status: 1,
    field: 'GITHUB_APP_PRIVATE_KEY_FILE',
  },
  {
    name: 'a malformed GitHub App key in the environment',
    args: orgCollect,
    env: githubEnv({
      GITHUB_APP_ID: '12345',
      GITHUB_APP_INSTALLATION_ID: '678',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----',
    }),
    status: 1,
    field: 'GITHUB_APP_PRIVATE_KEY',
  },
  {
    name: 'a GitHub App without an installation id',
    args: orgCollect,
    env: (p) => githubEnv({ GITHUB_APP_ID: '12345', GITHUB_APP_PRIVATE_KEY_FILE: p.fixture('rsa.pem') })(),
    status: 1,
    field: 'GITHUB_APP_INSTALLATION_ID',
  },
  {
    name: 'a GitHub App with an installation id that is not a number',
    args: orgCollect,
    env: (p) =>
      githubEnv({
        GITHUB_APP_ID: '12345',
        GITHUB_APP_INSTALLATION_ID: '12ab',
        GITHUB_APP_PRIVATE_KEY_FILE: p.fixture('rsa.pem'),
      })(),
    status: 1,
    field: 'GITHUB_APP_INSTALLATION_ID',
  },
  {
    name: 'a GitHub App id that is not one',
    args: orgCollect,
    env: (p) =>
      githubEnv({
        GITHUB_APP_ID: 'my app',
        GITHUB_APP_INSTALLATION_ID: '678',
        GITHUB_APP_PRIVATE_KEY_FILE: p.fixture('rsa.pem'),
      })(),
    status: 1,
    field: 'GITHUB_APP_ID',
  },
  {
    name: 'an unreadable GitHub App key file',
    arrange: (p) => {
      writeFileSync(join(p.cwd, 'app.pem'), 'key');
      chmodSync(join(p.cwd, 'app.pem'), 0o000);
    },
    args: orgCollect,
    env: (p) =>
      githubEnv({
        GITHUB_APP_ID: '12345',
        GITHUB_APP_INSTALLATION_ID: '678',
        GITHUB_APP_PRIVATE_KEY_FILE: join(p.cwd, 'app.pem'),
      })(),
    status: 1,
    field: 'GITHUB_APP_PRIVATE_KEY_FILE',
    unprivileged: true,
  },
];

const verifies: BadInput[] = [
  ['missing.pdf', 'a file that does not exist'],
  ['not-a-pdf.pdf', 'a text file'],
  ['empty.pdf', 'an empty file'],
  ['truncated.pdf', 'a PDF cut short'],
  ['bad-startxref.pdf', 'a PDF whose startxref points past its end'],
  ['no-attachments.pdf', 'a PDF without attachments'],
  ['no-manifest.pdf', 'a PDF whose attachments hold no manifest.json'],
  ['bad-flate.pdf', 'an attachment that does not inflate'],
  ['deep-nesting.pdf', 'objects nested 100,000 deep'],
  ['bad-manifest.pdf', 'a manifest.json that is not a manifest'],
  ['profiles.d', 'a folder'],
].map(([file, why]) => ({
  name: `verify ${why}`,
  args: (p: Paths) => ['verify', p.fixture(file as string), ...store(p)],
  status: 1 as const,
  field: 'PACK.pdf',
}));
verifies.push({
  name: 'verify a device',
  args: (p) => ['verify', '/dev/zero', ...store(p)],
  status: 1,
  field: 'PACK.pdf',
});

const storeInit: BadInput[] = [
  { name: 'store init without --store', args: () => ['store', 'init'], status: 2, field: '--store' },
  {
    name: 'store init with an unknown lock mode',
    args: (p) => ['store', 'init', ...store(p), '--lock-mode', 'FOREVER'],
    status: 2,
    field: '--lock-mode',
  },
  ...['0', '-5', 'abc', '1.5', '36501', '1e3', ''].map((days) => ({
    name: `store init --retention-days "${days}"`,
    args: (p: Paths) => ['store', 'init', ...store(p), `--retention-days=${days}`],
    status: 2 as const,
    field: '--retention-days',
  })),
];

const downloads: BadInput[] = [
  { name: 'packs download without --period', args: (p) => download(p), status: 2, field: '--period' },
  {
    name: 'packs download --period 2026-13',
    args: (p) => download(p, '--period', '2026-13'),
    status: 2,
    field: '--period',
  },
  {
    // Read-only commands refuse a local store that is not there rather than create one.
    name: 'packs download from a store that does not exist',
    args: (p) => download(p, '--period', '2026-10'),
    status: 1,
    field: '--store',
  },
  ...['0', '-1', '604801', 'abc', '3600.5', '1e3', ''].map((seconds) => ({
    name: `packs download --url-only --expires "${seconds}"`,
    args: (p: Paths) => download(p, '--period', '2026-10', '--url-only', `--expires=${seconds}`),
    status: 2 as const,
    field: '--expires',
  })),
  {
    name: 'packs download --expires without --url-only',
    args: (p) => download(p, '--period', '2026-10', '--expires', '60'),
    status: 2,
    field: '--expires',
  },
];

const CORPUS: readonly BadInput[] = [
  ...periods,
  ...times,
  ...windows,
  ...usage,
  ...kindsAndRepos,
  ...profiles,
  ...stores,
  ...outputs,
  ...sources,
  ...verifies,
  ...storeInit,
  ...downloads,
];

let work: string;
let fixtures: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cm01-bad-inputs-'));
  chmodSync(work, 0o755);
  fixtures = join(work, 'fixtures');
  mkdirSync(fixtures);
  makeFixtures(fixtures);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the command line refuses bad input', { timeout: 120_000 }, () => {
  it('holds at least 100 cases', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  // Each case is a child process that mostly waits on its own start-up: a few at a time.
  it.concurrent.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, badInput) => {
    const cwd = mkdtempSync(join(work, 'case-'));
    const paths: Paths = {
      cwd,
      store: `local:${join(cwd, 'store')}`,
      out: join(cwd, 'out'),
      world: DEMO_WORLD,
      fixture: (name) => join(fixtures, name),
    };
    if (badInput.unprivileged && RUNS_AS_ROOT) chownSync(cwd, NOBODY, NOBODY);
    badInput.arrange?.(paths);
    const before = snapshot(cwd);

    const result = await runCm01(badInput.args(paths), {
      cwd,
      env: badInput.env?.(paths) ?? {},
      unprivileged: badInput.unprivileged === true,
    });

    const output = `${result.stderr}${result.stdout}`;
    expect(result.status, output).toBe(badInput.status);
    expect(result.stderr).toContain(badInput.field);
    expect(output, 'no stack trace').not.toMatch(/^\s+at .+[:(]/m);
    expect(snapshot(cwd), 'nothing written').toEqual(before);
  });
});

describe('--from/--to without an offset are UTC, never local time', { timeout: 120_000 }, () => {
  it.each(['Pacific/Kiritimati', 'Pacific/Pago_Pago'])('in %s', async (zone) => {
    const cwd = mkdtempSync(join(work, 'tz-'));
    const result = await runCm01(
      [
        'collect',
        '--github-world',
        DEMO_WORLD,
        '--store',
        `local:${join(cwd, 'store')}`,
        '--from',
        '2026-10-01T00:00',
        '--to',
        '2026-10-02',
        '--kinds',
        'protection',
        '--repos',
        'web-app',
        '--json',
      ],
      { cwd, env: { TZ: zone }, unprivileged: false },
    );
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.window.from).toBe('2026-10-01T00:00:00.000Z');
    expect(summary.window.to).toBe('2026-10-02T00:00:00.000Z');
  });
});

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real executable in a child process, with no credentials or debug settings of ours. */
function runCm01(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; unprivileged: boolean },
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(GITHUB_|CM01_|AWS_)/.test(name)) continue;
    env[name] = value;
  }
  const asNobody = options.unprivileged && RUNS_AS_ROOT;
  return spawnCollecting(process.execPath, [CM01, ...args], {
    cwd: options.cwd,
    env: { ...env, ...(asNobody ? { HOME: options.cwd } : {}), ...options.env },
    timeout: 100_000,
    ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
  });
}

/** Every path below `dir` with its type, size and mode: equal snapshots mean nothing was written. */
function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const walk = (path: string, rel: string): void => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const info = lstatSync(full);
      entries.push(`${rel}${name} ${info.isDirectory() ? 'dir' : `${info.size}B`} ${info.mode.toString(8)}`);
      if (info.isDirectory() && (info.mode & 0o500) === 0o500) walk(full, `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return entries;
}

function makeFixtures(dir: string): void {
  const file = (name: string, content: string | Uint8Array) => writeFileSync(join(dir, name), content);
  file('not-a-pdf.pdf', 'This is a text file, not a PDF.\n');
  file('empty.pdf', '');
  file('not-json.profile.json', '{ "id": "mine", controls: [ }\n');
  file('not-json.world.json', '{ "format": "github-world/1", repos: [ }\n');
  file('wrong-type.profile.json', `${JSON.stringify({ id: 42, name: 'mine' })}\n`);
  mkdirSync(join(dir, 'profiles.d'));
  file('not-a-key.pem', 'this is not a private key\n');
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  file('ec.pem', ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  file('rsa.pem', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string);

  // 50 MB of valid JSON (`{` spaces `}`): only its size can refuse it before it is read whole.
  const huge = openSync(join(dir, 'huge.profile.json'), 'w');
  const chunk = Buffer.alloc(1 << 20, 0x20);
  writeSync(huge, '{');
  for (let i = 0; i < 50; i++) writeSync(huge, chunk);
  writeSync(huge, '}');
  ftruncateSync(huge, 50 * (1 << 20) + 2);
  closeSync(huge);

  file(
    'no-attachments.pdf',
    pdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>']),
  );
  const withAttachment = (name: string, stream: string, filter: string) =>
    pdf([
      '<< /Type /Catalog /Names 2 0 R >>',
      '<< /EmbeddedFiles 3 0 R >>',
      `<< /Names [(${name}) 4 0 R] >>`,
      '<< /Type /Filespec /F (x) /EF << /F 5 0 R >> >>',
      `<< /Type /EmbeddedFile ${filter}/Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    ]);
  file('no-manifest.pdf', withAttachment('population.csv', 'repo\n', ''));
  file(
    'bad-flate.pdf',
    withAttachment('manifest.json', 'definitely not deflate data', '/Filter /FlateDecode '),
  );
  file('bad-manifest.pdf', withAttachment('manifest.json', '{"hello":"world"}', ''));
  const good = pdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>']);
  file('truncated.pdf', good.subarray(0, Math.floor(good.length / 2)));
  file(
    'bad-startxref.pdf',
    Buffer.from(good.toString('latin1').replace(/startxref\n\d+/, 'startxref\n99999999')),
  );
  file('deep-nesting.pdf', pdf([`${'['.repeat(100_000)}${']'.repeat(100_000)}`]));
}

/** A small classic PDF: the objects given as 1 0 obj…, a correct cross-reference table, /Root 1 0 R. */
function pdf(objects: readonly string[]): Buffer {
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  for (const [i, object] of objects.entries()) {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  }
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
