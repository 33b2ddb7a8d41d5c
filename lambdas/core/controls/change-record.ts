import { type ControlRule, noPullRequest, pullRequestEvidenceMissing, result } from './rule.ts';

/** Clicki §1 "At a minimum": description, systems affected, risk and impact, rollback plan. */
export const changeRecord: ControlRule = {
  id: 'CHANGE-RECORD',
  title: 'The change record says what, where, risk and rollback',
  howDecided:
    "The PR body must hold each of the profile's sections (Description, Systems affected, Risk, Rollback) as a Markdown " +
    'heading or a bold label whose text starts with the section name (any case), followed by non-empty text before ' +
    'the next heading or label; HTML comments (template hints) do not count as text. A direct push has no change record ' +
    'and fails.',
  evaluate(change, { parameters }) {
    if (change.type === 'direct_push') return noPullRequest(change, 'there is no change record');
    const pr = change.pullRequest;
    if (!pr) return pullRequestEvidenceMissing(change);
    const sections = parseSections(pr.doc.data.body);
    const missing: string[] = [];
    const empty: string[] = [];
    for (const wanted of parameters.changeRecordSections) {
      const name = wanted.toLowerCase();
      const found = sections.filter((section) => section.title.startsWith(name));
      if (found.length === 0) missing.push(wanted);
      else if (!found.some((section) => /\S/.test(section.text))) empty.push(wanted);
    }
    const number = pr.doc.data.number;
    if (missing.length === 0 && empty.length === 0) {
      return result(
        'pass',
        [`PR #${number} body has ${parameters.changeRecordSections.join(', ')}, each filled in`],
        [pr.ref],
      );
    }
    const reasons = [
      ...(missing.length > 0 ? [`PR #${number} body has no section ${missing.join(', ')}`] : []),
      ...(empty.length > 0 ? [`PR #${number} body leaves ${empty.join(', ')} empty`] : []),
    ];
    return result('fail', reasons, [pr.ref]);
  },
};

interface Section {
  /** Lower case, without a trailing colon. */
  readonly title: string;
  readonly text: string;
}

const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const BOLD_LABEL = /^\s*(?:[-*+]\s+)?(\*\*|__)(.+?)\1\s*:?\s*(.*)$/;

/** Split a Markdown body into headed sections; text before the first heading belongs to none. */
export function parseSections(body: string): Section[] {
  const sections: { title: string; lines: string[] }[] = [];
  const withoutComments = body.replace(/<!--[\s\S]*?(-->|$)/g, '');
  for (const line of withoutComments.split(/\r?\n/)) {
    const heading = HEADING.exec(line);
    const bold = heading ? null : BOLD_LABEL.exec(line);
    if (heading) {
      sections.push({ title: normaliseTitle(heading[1] ?? ''), lines: [] });
    } else if (bold) {
      sections.push({ title: normaliseTitle(bold[2] ?? ''), lines: [bold[3] ?? ''] });
    } else {
      sections[sections.length - 1]?.lines.push(line);
    }
  }
  return sections.map((section) => ({ title: section.title, text: section.lines.join('\n').trim() }));
}

function normaliseTitle(title: string): string {
  return title.replace(/[*_]/g, '').trim().replace(/:$/, '').trim().toLowerCase();
}
