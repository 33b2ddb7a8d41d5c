/**
 * GitHub's issue/PR search syntax, as far as the collectors use it:
 * `repo:ORG/NAME is:pr is:merged base:main merged:2026-10-01T00:00:00Z..2026-10-31T23:59:59Z`.
 * Date qualifiers (`merged`, `created`, `updated`, `closed`) take `A..B` (inclusive), `A..*`,
 * `*..B`, `>A`, `>=A`, `<A`, `<=A` or a single value; a bare date means that whole UTC day.
 * Unknown qualifiers are treated as text, as GitHub does.
 */

export interface TimeRange {
  /** Inclusive lower bound, epoch ms. */
  readonly from: number;
  /** Exclusive upper bound, epoch ms. */
  readonly until: number;
}

export interface IssueSearch {
  repos: string[];
  orgs: string[];
  kind?: 'pr' | 'issue';
  merged?: boolean;
  state?: 'open' | 'closed';
  base?: string;
  head?: string;
  authors: string[];
  labels: string[];
  dates: Partial<Record<'merged' | 'created' | 'updated' | 'closed', TimeRange>>;
  sort: { field: 'created' | 'updated' | 'comments'; direction: 'asc' | 'desc' };
  text: string[];
}

export class SearchSyntaxError extends Error {
  override name = 'SearchSyntaxError';
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Parse one side of a range: a date is the whole day, a time is that instant (to the second). */
function bounds(value: string): { start: number; end: number } {
  if (DATE_ONLY.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(start)) throw new SearchSyntaxError(`"${value}" is not a date`);
    return { start, end: start + DAY_MS };
  }
  // GitHub reads a time without a zone as UTC.
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  const start = Date.parse(withZone);
  if (Number.isNaN(start)) throw new SearchSyntaxError(`"${value}" is not a date or time`);
  const hasFraction = /\.\d+/.test(value);
  return { start, end: start + (hasFraction ? 1 : 1000) };
}

export function parseTimeRange(value: string): TimeRange {
  const range = /^(.+?)\.\.(.+)$/.exec(value);
  if (range) {
    const [, low = '*', high = '*'] = range;
    return {
      from: low === '*' ? Number.NEGATIVE_INFINITY : bounds(low).start,
      until: high === '*' ? Number.POSITIVE_INFINITY : bounds(high).end,
    };
  }
  const comparison = /^(>=|<=|>|<)(.+)$/.exec(value);
  if (comparison) {
    const [, operator, operand = ''] = comparison;
    const { start, end } = bounds(operand);
    switch (operator) {
      case '>=':
        return { from: start, until: Number.POSITIVE_INFINITY };
      case '>':
        return { from: end, until: Number.POSITIVE_INFINITY };
      case '<=':
        return { from: Number.NEGATIVE_INFINITY, until: end };
      default:
        return { from: Number.NEGATIVE_INFINITY, until: start };
    }
  }
  const { start, end } = bounds(value);
  return { from: start, until: end };
}

export function inRange(iso: string | null, range: TimeRange | undefined): boolean {
  return inRangeMs(iso === null ? null : Date.parse(iso), range);
}

export function inRangeMs(ms: number | null, range: TimeRange | undefined): boolean {
  if (!range) return true;
  if (ms === null) return false;
  return ms >= range.from && ms < range.until;
}

function tokens(query: string): string[] {
  const found: string[] = [];
  const pattern = /(\S+?:"[^"]*"|"[^"]*"|\S+)/g;
  for (const match of query.matchAll(pattern)) found.push(match[0].replace(/"/g, ''));
  return found;
}

export function parseIssueSearch(query: string): IssueSearch {
  const search: IssueSearch = {
    repos: [],
    orgs: [],
    authors: [],
    labels: [],
    dates: {},
    sort: { field: 'created', direction: 'desc' },
    text: [],
  };
  for (const token of tokens(query)) {
    const colon = token.indexOf(':');
    const key = colon > 0 ? token.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? token.slice(colon + 1) : token;
    switch (key) {
      case 'repo':
        search.repos.push(value.toLowerCase());
        break;
      case 'org':
      case 'user':
        search.orgs.push(value.toLowerCase());
        break;
      case 'type':
      case 'is':
        switch (value.toLowerCase()) {
          case 'pr':
          case 'pull-request':
            search.kind = 'pr';
            break;
          case 'issue':
            search.kind = 'issue';
            break;
          case 'merged':
            search.merged = true;
            break;
          case 'unmerged':
            search.merged = false;
            break;
          case 'open':
            search.state = 'open';
            break;
          case 'closed':
            search.state = 'closed';
            break;
          default:
            search.text.push(token);
        }
        break;
      case 'state':
        if (value === 'open' || value === 'closed') search.state = value;
        else search.text.push(token);
        break;
      case 'base':
        search.base = value;
        break;
      case 'head':
        search.head = value;
        break;
      case 'author':
        search.authors.push(value.toLowerCase());
        break;
      case 'label':
        search.labels.push(value.toLowerCase());
        break;
      case 'merged':
      case 'created':
      case 'updated':
      case 'closed':
        search.dates[key] = parseTimeRange(value);
        break;
      case 'sort': {
        const sort = /^(created|updated|comments)(?:-(asc|desc))?$/.exec(value);
        if (sort) {
          search.sort = {
            field: sort[1] as IssueSearch['sort']['field'],
            direction: (sort[2] ?? 'desc') as 'asc' | 'desc',
          };
        }
        break;
      }
      default:
        search.text.push(token.toLowerCase());
    }
  }
  return search;
}
