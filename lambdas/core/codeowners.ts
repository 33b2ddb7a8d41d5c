import picomatch from 'picomatch';

/**
 * CODEOWNERS as GitHub reads it: each line a pattern (gitignore rules) and its owners; for a
 * path, the last matching line wins, and a line without owners leaves the path unowned.
 */
export interface CodeOwners {
  /** The owners of a path (`@org/team`, `@user`, e-mails), empty when none. */
  ownersOf(path: string): readonly string[];
}

/** Parsed files by text, most recently used last: a period asks for the same few files for every change. */
const parsedByText = new Map<string, CodeOwners>();
const PARSED_KEPT = 64;

/**
 * The file parsed (its patterns compiled), once per distinct text: every change of a repository
 * is judged against the same CODEOWNERS, twice (SECURITY-REVIEW and IAC-SIGNOFF). The result
 * depends on the text alone, so sharing it between changes, packs or periods changes nothing.
 */
export function parseCodeOwners(text: string): CodeOwners {
  const known = parsedByText.get(text);
  if (known) {
    parsedByText.delete(text);
    parsedByText.set(text, known);
    return known;
  }
  const parsed = compileCodeOwners(text);
  parsedByText.set(text, parsed);
  if (parsedByText.size > PARSED_KEPT) parsedByText.delete(parsedByText.keys().next().value as string);
  return parsed;
}

function compileCodeOwners(text: string): CodeOwners {
  const rules: { matches: (path: string) => boolean; owners: string[] }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const [pattern = '', ...owners] = line.split(/\s+/);
    rules.push({ matches: picomatch(globsOf(pattern), { dot: true }), owners });
  }
  return {
    ownersOf(path) {
      for (let i = rules.length - 1; i >= 0; i--) {
        const rule = rules[i]!;
        if (rule.matches(path)) return rule.owners;
      }
      return [];
    },
  };
}

/** A CODEOWNERS pattern as globs: anchored when it holds a `/` (but not only at its end); a directory owns all below it. */
function globsOf(pattern: string): string[] {
  let p = pattern;
  const directoryOnly = p.endsWith('/');
  if (directoryOnly) p = p.slice(0, -1);
  const anchored = p.startsWith('/') || p.includes('/');
  p = p.replace(/^\//, '');
  if (p === '*' && !anchored) return ['**'];
  const base = anchored ? p : `**/${p}`;
  return directoryOnly ? [`${base}/**`] : [base, `${base}/**`];
}

/** Whether one of the owners is the team `slug` (`@org/slug`, any case). */
export function ownedByTeam(owners: readonly string[], slug: string): boolean {
  const wanted = slug.toLowerCase();
  return owners.some((owner) => owner.toLowerCase().split('/')[1] === wanted && owner.startsWith('@'));
}
