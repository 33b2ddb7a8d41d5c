/**
 * GitHub's OpenAPI descriptions (`@octokit/openapi`) for the emulator's conformance test, kept
 * out of the project's dependencies: the package unpacks to 385 MB, of which the test needs
 * two files. They are fetched once (`npm pack`, about 29 MB) into a cache folder that git
 * ignores, and only those two files are kept. The JSON Schema validator (ajv 8 + ajv-formats)
 * is taken from the project when installed, otherwise installed once into the same cache.
 *
 *   npx tsx scripts/openapi-descriptions.ts     # fetch now (e.g. before going offline)
 *
 * `CM01_OPENAPI_CACHE` moves the cache (default: `node_modules/.cache/cm01-openapi`); a folder
 * holding `<version>/api.github.com.deref.json` and `<version>/ghec.deref.json` works offline.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const OPENAPI_VERSION = '23.0.2';
const FILES = ['api.github.com.deref.json', 'ghec.deref.json'] as const;
const VALIDATOR_PACKAGES = ['ajv@^8.17.1', 'ajv-formats@^3.0.1'];
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function cacheRoot(): string {
  return process.env.CM01_OPENAPI_CACHE ?? join(REPO_ROOT, 'node_modules', '.cache', 'cm01-openapi');
}

export type Fetched<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** Paths of GitHub's two descriptions (api.github.com, GitHub Enterprise Cloud), fetched if missing. */
export async function openApiDescriptions(): Promise<
  Fetched<{ apiGitHubCom: string; enterpriseCloud: string }>
> {
  const dir = join(cacheRoot(), OPENAPI_VERSION);
  const [apiGitHubCom, enterpriseCloud] = FILES.map((file) => join(dir, file)) as [string, string];
  const present = () => existsSync(apiGitHubCom) && existsSync(enterpriseCloud);
  if (!present()) {
    await mkdir(dir, { recursive: true });
    try {
      await run('npm', ['pack', `@octokit/openapi@${OPENAPI_VERSION}`, '--pack-destination', dir], {
        cwd: dir,
        timeout: 300_000,
      });
    } catch (error) {
      return { ok: false, reason: unreachable(`@octokit/openapi@${OPENAPI_VERSION}`, error) };
    }
    const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
    if (!tarball) return { ok: false, reason: `npm pack left no tarball in ${dir}` };
    await run('tar', [
      '-xzf',
      join(dir, tarball),
      '-C',
      dir,
      '--strip-components=2',
      ...FILES.map((file) => `package/generated/${file}`),
    ]);
    await rm(join(dir, tarball));
    if (!present()) return { ok: false, reason: `the tarball of @octokit/openapi lacks ${FILES.join(', ')}` };
  }
  return { ok: true, value: { apiGitHubCom, enterpriseCloud } };
}

/** ajv 8 and ajv-formats: the project's own when installed, else installed once into the cache. */
export async function validatorModules(): Promise<Fetched<{ ajvPath: string; formatsPath: string }>> {
  const fromProject = resolvable(createRequire(join(REPO_ROOT, 'package.json')));
  if (fromProject) return { ok: true, value: fromProject };
  const prefix = join(cacheRoot(), 'validator');
  const fromCache = () => resolvable(createRequire(join(prefix, 'package.json')));
  const cached = fromCache();
  if (cached) return { ok: true, value: cached };
  await mkdir(prefix, { recursive: true });
  try {
    await run(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        ...VALIDATOR_PACKAGES,
      ],
      { timeout: 300_000 },
    );
  } catch (error) {
    return { ok: false, reason: unreachable(VALIDATOR_PACKAGES.join(' and '), error) };
  }
  const installed = fromCache();
  return installed
    ? { ok: true, value: installed }
    : { ok: false, reason: `npm did not install ajv into ${prefix}` };
}

function resolvable(require: NodeJS.Require): { ajvPath: string; formatsPath: string } | undefined {
  try {
    return { ajvPath: require.resolve('ajv'), formatsPath: require.resolve('ajv-formats') };
  } catch {
    return undefined;
  }
}

function unreachable(what: string, error: unknown): string {
  const detail = error instanceof Error ? error.message.split('\n').slice(-3).join(' ') : String(error);
  return `could not fetch ${what} from the npm registry (offline?): ${detail.slice(0, 300)}. Run \`npx tsx scripts/openapi-descriptions.ts\` once while online, or set CM01_OPENAPI_CACHE to a folder holding ${OPENAPI_VERSION}/${FILES.join(' and ')}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const descriptions = await openApiDescriptions();
  const validator = await validatorModules();
  for (const result of [descriptions, validator]) {
    if (!result.ok) {
      console.error(result.reason);
      process.exitCode = 1;
    } else console.log(Object.values(result.value).join('\n'));
  }
}
