import { inspect } from 'node:util';

/**
 * Credentials out of text that is about to be printed or logged (a cause shown under
 * `CM01_DEBUG`, an error a handler logs). Errors from HTTP clients carry request headers, and a
 * failed key parse may quote the key: whatever prints a cause passes it through here first.
 */
const REDACTED = '[REDACTED]';

/** Environment variables whose values are credentials, by name. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|CREDENTIAL|API_KEY|ACCESS_KEY/i;
/** Shorter values are not worth hiding, and hiding them would mangle ordinary words. */
const MIN_SECRET_LENGTH = 8;

const PATTERNS: readonly RegExp[] = [
  // PEM private keys (GitHub App keys), whole or cut short.
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  // Authorization headers as sent, or as an inspected object shows them.
  /(authorization["']?\s*[:=]\s*["']?)(?:(?:token|bearer|basic)\s+)?[^\s"',}]+/gi,
  // GitHub tokens by their documented prefixes.
  /\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})\b/g,
  // JSON Web Tokens (a GitHub App's signed assertion).
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // AWS request signatures and session tokens (a presigned URL, a signed request in an SDK error).
  /(x-amz-(?:signature|security-token)["']?\s*[:=]\s*["']?)[^\s"',}&]+/gi,
  // Credentials passed as query parameters.
  /\b((?:token|secret|password)=)[^&\s"']+/gi,
];

export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let redacted = text;
  const values = Object.entries(env)
    .filter(
      ([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH,
    )
    .map(([, value]) => value as string)
    // Longest first, so a value that contains another is hidden whole.
    .sort((a, b) => b.length - a.length);
  for (const value of values) redacted = redacted.split(value).join(REDACTED);
  for (const pattern of PATTERNS) {
    // A pattern with a leading group keeps it (the header or parameter name) and hides the rest.
    redacted = redacted.replace(pattern, (_match, prefix?: unknown) =>
      typeof prefix === 'string' ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return redacted;
}

/**
 * `error: Name: message`, then `caused by: …` for each cause, credentials hidden and no stack
 * frames (a person never sees a stack trace); a cause that is not an Error is shown inspected.
 */
export function describeCauses(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const text =
      current instanceof Error
        ? `${current.name}: ${current.message}`
        : inspect(current, { depth: 6, breakLength: 120 });
    lines.push(`${depth === 0 ? 'error' : 'caused by'}: ${redactSecrets(text, env)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}
