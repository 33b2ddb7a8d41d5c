import { createPrivateKey } from 'node:crypto';
import { open } from 'node:fs/promises';
import { describeError, InputError } from '../../errors.ts';
import type { GitHubAuth } from './client.ts';

/**
 * The GitHub credential from the environment, for a run on one machine: a token
 * (`GITHUB_TOKEN`) or a GitHub App (`GITHUB_APP_ID` + `GITHUB_APP_PRIVATE_KEY` or
 * `GITHUB_APP_PRIVATE_KEY_FILE` + `GITHUB_APP_INSTALLATION_ID`). Everything is checked here,
 * before any request, and no message ever quotes a key or a token.
 */
export async function githubAuthFromEnv(env: NodeJS.ProcessEnv): Promise<GitHubAuth> {
  if (env.GITHUB_APP_ID !== undefined && env.GITHUB_APP_ID !== '') {
    const appId = env.GITHUB_APP_ID;
    // A numeric App id, or the App's client id (`Iv1.…`, `Iv23…`), as @octokit/auth-app takes.
    if (!/^\d+$/.test(appId) && !/^Iv[0-9A-Za-z.]+$/.test(appId)) {
      throw new InputError('GITHUB_APP_ID', 'is not a GitHub App id (a number) or client id (Iv…)');
    }
    const keyFile = env.GITHUB_APP_PRIVATE_KEY_FILE;
    const keyText = env.GITHUB_APP_PRIVATE_KEY;
    if (keyText && keyFile) {
      throw new InputError(
        'GITHUB_APP_PRIVATE_KEY_FILE',
        'set either GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE, not both',
      );
    }
    let privateKey: string;
    if (keyFile) privateKey = parseAppPrivateKey(await readKeyFile(keyFile), 'GITHUB_APP_PRIVATE_KEY_FILE');
    else if (keyText) privateKey = parseAppPrivateKey(keyText, 'GITHUB_APP_PRIVATE_KEY');
    else {
      throw new InputError(
        'GITHUB_APP_PRIVATE_KEY',
        'missing: set it or GITHUB_APP_PRIVATE_KEY_FILE with GITHUB_APP_ID',
      );
    }
    const installation = env.GITHUB_APP_INSTALLATION_ID ?? '';
    if (
      !/^\d+$/.test(installation) ||
      Number(installation) <= 0 ||
      !Number.isSafeInteger(Number(installation))
    ) {
      throw new InputError(
        'GITHUB_APP_INSTALLATION_ID',
        'missing or not a positive whole number (needed with GITHUB_APP_ID)',
      );
    }
    return { kind: 'app', appId, privateKey, installationId: Number(installation) };
  }
  const token = env.GITHUB_TOKEN;
  if (!token)
    throw new InputError(
      'GITHUB_TOKEN',
      'missing: set a token (or GitHub App settings) to collect with --org',
    );
  if (/\s/.test(token.trim()) || token.trim() === '') {
    throw new InputError('GITHUB_TOKEN', 'holds spaces or line breaks: set the token alone');
  }
  return { kind: 'token', token: token.trim() };
}

/** A PEM file is a few kilobytes; anything larger is the wrong file. */
const MAX_KEY_FILE_BYTES = 64 << 10;

async function readKeyFile(path: string): Promise<string> {
  const field = 'GITHUB_APP_PRIVATE_KEY_FILE';
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error: unknown) {
    throw new InputError(field, `cannot read the App key file ${path}: ${describeError(error)}`, {
      cause: error,
    });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new InputError(field, `${path} is not a regular file`);
    if (info.size > MAX_KEY_FILE_BYTES) {
      throw new InputError(field, `${path} is ${info.size} bytes: not a private key file`);
    }
    return await handle.readFile('utf8');
  } catch (error: unknown) {
    if (error instanceof InputError) throw error;
    throw new InputError(field, `cannot read the App key file ${path}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    await handle.close();
  }
}

/**
 * A GitHub App private key: an RSA key in PEM (GitHub hands out PKCS#1; PKCS#8 works too).
 * Checked by parsing it, so a wrong file fails here, naming the setting, and not as a 401 from
 * GitHub later. The error never carries the parser's cause, which may quote the key.
 */
export function parseAppPrivateKey(text: string, field: string): string {
  const pem = text.trim().replace(/\\n/g, '\n');
  let type: string | undefined;
  try {
    type = createPrivateKey({ key: pem, format: 'pem' }).asymmetricKeyType;
  } catch {
    throw new InputError(field, 'is not a PEM private key (-----BEGIN RSA PRIVATE KEY----- …)');
  }
  if (type !== 'rsa') throw new InputError(field, `is a ${type ?? 'non-RSA'} key: a GitHub App key is RSA`);
  return `${pem}\n`;
}
