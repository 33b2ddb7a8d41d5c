/**
 * What the command line prints about an error never carries a credential: tokens, private keys
 * and AWS secrets are cut out of every message, including the causes `CM01_DEBUG` shows. Causes
 * are shown as their names and messages, never as stack traces.
 */
const SECRET_VARIABLES = [
  'GITHUB_TOKEN',
  'GITHUB_APP_PRIVATE_KEY',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ACCESS_KEY_ID',
] as const;

const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bgh[pousr]_[A-Za-z0-9]{16,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{16,}\b/g,
  /\b(authorization|x-amz-security-token|x-amz-signature)(["']?\s*[:=]\s*["']?)(bearer |token |AWS4-HMAC-SHA256 )?[^\s"',}]+/gi,
  /\b(token|secret|password)=([^&\s"']+)/gi,
];

export function redactCredentials(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const name of SECRET_VARIABLES) {
    const value = env[name];
    if (value && value.length >= 8) out = out.split(value).join(`[${name} redacted]`);
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, ...groups: unknown[]) => {
      if (/^(authorization|x-amz)/i.test(match)) return `${groups[0]}${groups[1]}[redacted]`;
      if (/^(token|secret|password)=/i.test(match)) return `${groups[0]}=[redacted]`;
      return '[redacted]';
    });
  }
  return out;
}

/** `caused by: Name: message` for the error and each of its causes; no stack frames. */
export function describeCauses(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const text =
      current instanceof Error
        ? `${current.name}: ${current.message}`
        : `${typeof current}: ${String(current)}`;
    lines.push(`${depth === 0 ? 'error' : 'caused by'}: ${redactCredentials(text, env)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}
