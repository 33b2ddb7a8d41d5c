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
    redacted = redacted.replace(pattern, (match, header?: unknown) =>
      typeof header === 'string' && match.toLowerCase().startsWith('authorization')
        ? `${header}${REDACTED}`
        : REDACTED,
    );
  }
  return redacted;
}

/** A cause as `console.error` would show it, with credentials hidden. */
export function describeCauseSafely(cause: unknown, env: NodeJS.ProcessEnv = process.env): string {
  return redactSecrets(inspect(cause, { depth: 8, breakLength: 120 }), env);
}
