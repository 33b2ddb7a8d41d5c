import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubAuthFromEnv, parseAppPrivateKey } from '../../lambdas/adapters/github/credentials.ts';
import { PackFormatError } from '../../lambdas/adapters/pdf/errors.ts';
import { readPackAttachments, readPackFile } from '../../lambdas/adapters/pdf/read-attachments.ts';
import { MAX_PROFILE_FILE_BYTES, resolveProfile } from '../../lambdas/core/profile-files.ts';
import { InputError } from '../../lambdas/errors.ts';

/** Files a person names — a profile, a GitHub App key, a pack — read with bounds, refused by name. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cm01-input-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('resolveProfile', () => {
  it('refuses a file over the size limit by its size, even when it is valid JSON', async () => {
    const path = join(dir, 'huge.json');
    await writeFile(path, '{}');
    await truncate(path, MAX_PROFILE_FILE_BYTES + 1);
    const error = await refusal(resolveProfile(path));
    expect(error.field).toBe('--profile');
    expect(error.message).toMatch(/bytes/);
  });

  it('refuses a folder and a device without reading them', async () => {
    await mkdir(join(dir, 'profiles.d'));
    expect((await refusal(resolveProfile(join(dir, 'profiles.d')))).message).toMatch(/not a regular file/);
    expect((await refusal(resolveProfile('/dev/zero'))).message).toMatch(/not a regular file/);
  });

  it('names the bad field inside a profile file', async () => {
    const path = join(dir, 'typed.json');
    await writeFile(path, JSON.stringify({ id: 42 }));
    const error = await refusal(resolveProfile(path));
    expect(error.field).toBe('id');
    expect(error.message).toContain(path);
  });

  it('refuses an unknown shipped id and an empty value as usage errors', async () => {
    expect(await refusal(resolveProfile('sox'))).toMatchObject({ malformed: true, field: '--profile' });
    expect(await refusal(resolveProfile(''))).toMatchObject({ malformed: true, field: '--profile' });
    expect(await refusal(resolveProfile('./nowhere.json'))).toMatchObject({ malformed: false });
  });
});

describe('githubAuthFromEnv', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs1',
    format: 'pem',
  }) as string;

  it('reads a GitHub App key file', async () => {
    const path = join(dir, 'app.pem');
    await writeFile(path, rsa);
    const auth = await githubAuthFromEnv({
      GITHUB_APP_ID: '123',
      GITHUB_APP_INSTALLATION_ID: '456',
      GITHUB_APP_PRIVATE_KEY_FILE: path,
    });
    expect(auth).toMatchObject({ kind: 'app', appId: '123', installationId: 456 });
  });

  it('names the key file setting when the file is missing, and never quotes a key', async () => {
    const missing = await refusal(
      githubAuthFromEnv({
        GITHUB_APP_ID: '123',
        GITHUB_APP_INSTALLATION_ID: '456',
        GITHUB_APP_PRIVATE_KEY_FILE: join(dir, 'nowhere.pem'),
      }),
    );
    expect(missing.field).toBe('GITHUB_APP_PRIVATE_KEY_FILE');
    const cut = rsa.slice(0, 300);
    const malformed = await refusal(
      githubAuthFromEnv({
        GITHUB_APP_ID: '123',
        GITHUB_APP_INSTALLATION_ID: '456',
        GITHUB_APP_PRIVATE_KEY: cut,
      }),
    );
    expect(malformed.field).toBe('GITHUB_APP_PRIVATE_KEY');
    expect(malformed.message).not.toContain(cut.split('\n')[1]);
    expect(malformed.cause).toBeUndefined();
  });

  it('takes a key whose line breaks were written as \\n in one line', () => {
    expect(parseAppPrivateKey(rsa.trim().replace(/\n/g, '\\n'), 'GITHUB_APP_PRIVATE_KEY')).toBe(
      `${rsa.trim()}\n`,
    );
  });
});

describe('readPackFile and readPackAttachments', () => {
  it('refuse what is not a pack as an input error naming PACK.pdf', async () => {
    for (const bytes of ['', 'hello', '%PDF-1.7\n%%EOF', `%PDF-1.7\n${'['.repeat(200_000)}`]) {
      try {
        readPackAttachments(new TextEncoder().encode(bytes));
        expect.unreachable('refused');
      } catch (error) {
        expect(error).toBeInstanceOf(PackFormatError);
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).field).toBe('PACK.pdf');
      }
    }
  });

  it('refuse a folder and a device before reading them', async () => {
    expect((await refusal(readPackFile(dir))).field).toBe('PACK.pdf');
    expect((await refusal(readPackFile('/dev/zero'))).message).toMatch(/not a regular file/);
  });
});
