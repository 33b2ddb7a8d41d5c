import { z } from 'zod';
import { InputError } from '../errors.ts';

/**
 * Policy profiles are data: which controls apply, whether a failure is an exception
 * (`required`) or only reported (`informational`), and the parameters the rules read. A company
 * adopting the tool writes its own profile in this format; the shipped ones live in
 * `profiles/*.json`. Versions are chosen by effective date, so a change is judged by the policy
 * as it stood when it was merged.
 */

/** The control catalogue, in the order the pack shows it. These ids are a fixed interface. */
export const CONTROL_IDS = [
  'PR-REQUIRED',
  'TICKET-LINKED',
  'CI-PASSED',
  'PEER-REVIEW',
  'SECURITY-REVIEW',
  'IAC-SIGNOFF',
  'SIGNED-COMMITS',
  'CD-PIPELINE',
  'ROLLBACK',
  'EMERGENCY',
  'OVERRIDE',
  'SEGREGATION',
  'CHANGE-RECORD',
  'RETENTION',
  'CHANGE-FAILURE-RATE',
] as const;
export type ControlId = (typeof CONTROL_IDS)[number];

export const REQUIREMENTS = ['required', 'informational', 'off'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

const requirement = z.enum(REQUIREMENTS);
const nonEmpty = z.string().min(1, 'must not be empty');
const positive = z.number().positive();

/** A regular expression given as a string; refused when it does not compile. */
const regexSource = nonEmpty.refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a valid regular expression' },
);

/** `YYYY-MM-DD` (midnight UTC) or a full ISO-8601 time. */
const effectiveDate = z
  .string()
  .refine((value) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(value) && !Number.isNaN(Date.parse(value)), {
    message: 'is not a date (YYYY-MM-DD) or an ISO-8601 time',
  });

/**
 * A group of people: a GitHub team slug, whose membership the collector snapshots as evidence,
 * or a fixed list of logins written into the profile itself.
 */
const teamReference = z.union([
  nonEmpty,
  z.strictObject({ logins: z.array(nonEmpty).min(1, 'must name at least one login') }),
]);
export type TeamReference = z.infer<typeof teamReference>;

const controlSetting = z.strictObject({ requirement });
const controlsSchema = z.strictObject({
  'PR-REQUIRED': controlSetting.optional(),
  'TICKET-LINKED': controlSetting.optional(),
  'CI-PASSED': controlSetting.optional(),
  'PEER-REVIEW': z
    .strictObject({
      requirement,
      /** Clicki: a PR carrying the standard-change label needs no peer review. */
      exemptStandardChanges: z.boolean().default(false),
    })
    .optional(),
  'SECURITY-REVIEW': controlSetting.optional(),
  'IAC-SIGNOFF': controlSetting.optional(),
  'SIGNED-COMMITS': controlSetting.optional(),
  'CD-PIPELINE': controlSetting.optional(),
  ROLLBACK: controlSetting.optional(),
  EMERGENCY: controlSetting.optional(),
  OVERRIDE: controlSetting.optional(),
  SEGREGATION: controlSetting.optional(),
  'CHANGE-RECORD': controlSetting.optional(),
  RETENTION: controlSetting.optional(),
  'CHANGE-FAILURE-RATE': controlSetting.optional(),
});

const versionSchema = z.strictObject({
  version: nonEmpty,
  effectiveFrom: effectiveDate,
  description: z.string().optional(),
  controls: controlsSchema,
});

const parametersSchema = z.strictObject({
  teams: z.strictObject({
    securityChamps: teamReference,
    sre: teamReference,
    incidentCommanders: teamReference,
    overrideApprovers: teamReference,
  }),
  /** Searched in the PR title and head branch (case-sensitive), e.g. a Linear key `ENG-123`. */
  ticketPattern: regexSource,
  /** Searched in the PR body, e.g. `https://linear.app/<workspace>/issue/ENG-123`. */
  linearLinkPattern: regexSource,
  /**
   * The organisation's ticket keys (`ENG`, `CHK`): when listed, only keys with these prefixes are
   * tickets. Absent: any key the pattern matches, except `nonTicketKeys`.
   */
  ticketKeys: z
    .array(z.string().regex(/^[A-Z][A-Z0-9]*$/, 'must be an upper-case key such as ENG'))
    .optional(),
  /** Prefixes that look like a ticket key but name a standard (`SHA-256`, `UTF-8`, `ISO-8601`): never a ticket. */
  nonTicketKeys: z.array(nonEmpty).default([]),
  /** Category -> substrings of check names (case-insensitive) that belong to it. */
  ciCategories: z.record(nonEmpty, z.array(nonEmpty).min(1)),
  /** Categories that must each have at least one successful check before merge. */
  requiredCiCategories: z.array(nonEmpty),
  securityPaths: z.array(nonEmpty),
  securityLabel: nonEmpty,
  iacPaths: z.array(nonEmpty),
  /** Globs that are IaC only in a CDK repository (e.g. `lib/**\/*.ts`). */
  cdkIacPaths: z.array(nonEmpty),
  /**
   * Repository names (globs on `name` or `org/name`) to treat as CDK repositories whatever the
   * evidence shows. Otherwise a repository is one when its default branch has a `cdk.json` at its
   * root (read with each branch-protection snapshot) or a collected PR adds one there. The shipped
   * profiles list none.
   */
  cdkRepositories: z.array(nonEmpty),
  iacLabel: nonEmpty,
  emergencyLabel: nonEmpty,
  /**
   * Better Stack's on-call calendar of the Incident Commanders, matched by name in any case and
   * spacing (`Incident Commanders` = `incident-commanders`). Read only when Better Stack is
   * configured: then whoever was on call in it when the emergency label was added may grant it.
   */
  incidentCommanderCalendar: nonEmpty.default('Incident Commanders'),
  /**
   * Better Stack user e-mail -> GitHub login. An address not listed matches the GitHub login
   * equal to its local part (`erin@acme.com` = `erin`), which the verdict's reason says.
   */
  onCallLogins: z.record(z.string(), nonEmpty).default({}),
  standardChangeLabel: nonEmpty,
  /** Case-insensitive; a PR comment matching it within `retrospectiveHours` of merge. */
  retrospectivePattern: regexSource,
  retrospectiveHours: positive,
  /** Case-insensitive; a PR comment or the PR body matching it within `postMortemHours`. */
  postMortemPattern: regexSource,
  postMortemHours: positive,
  /**
   * Clicki ("may bypass standard approval steps"): a change whose EMERGENCY verdict is pass is not
   * applicable for PEER-REVIEW and SEGREGATION. Off unless set.
   */
  emergencyExemptsApproval: z.boolean().default(false),
  rollbackWindowMinutes: positive,
  /** How far back staging and canary deployments count for a production deployment (days). */
  pipelineLookbackDays: z.number().int().positive().max(90).default(14),
  /** Fraction, 0.03 = 3 %. */
  changeFailureThreshold: z.number().gt(0).lte(1),
  changeRecordSections: z.array(nonEmpty).min(1),
  environments: z.strictObject({ staging: nonEmpty, canary: nonEmpty, production: nonEmpty }),
  cdAutomation: z.strictObject({ bots: z.boolean(), apps: z.array(nonEmpty) }),
  allowGovernanceRetention: z.boolean(),
  minRetentionDays: z.number().int().positive(),
});

export const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, ".", "_" or "-"'),
    name: nonEmpty,
    description: z.string().optional(),
    versions: z.array(versionSchema).min(1, 'must hold at least one version'),
    parameters: parametersSchema,
  })
  .superRefine((profile, ctx) => {
    const seen = new Set<string>();
    profile.versions.forEach((version, i) => {
      if (seen.has(version.version)) {
        ctx.addIssue({ code: 'custom', path: ['versions', i, 'version'], message: 'is used twice' });
      }
      seen.add(version.version);
      const previous = profile.versions[i - 1];
      if (previous && Date.parse(version.effectiveFrom) <= Date.parse(previous.effectiveFrom)) {
        ctx.addIssue({
          code: 'custom',
          path: ['versions', i, 'effectiveFrom'],
          message: `must come after versions[${i - 1}].effectiveFrom (${previous.effectiveFrom}); list versions oldest first`,
        });
      }
    });
    for (const category of profile.parameters.requiredCiCategories) {
      if (!(category in profile.parameters.ciCategories)) {
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', 'requiredCiCategories'],
          message: `names "${category}", which is not a key of parameters.ciCategories`,
        });
      }
    }
  });

export type Profile = z.infer<typeof profileSchema>;
export type ProfileVersion = Profile['versions'][number];
export type ProfileParameters = Profile['parameters'];
export type ControlSettings = ProfileVersion['controls'];

/**
 * Validate a profile. A bad one is refused with the path of the first bad field, e.g.
 * `versions[1].controls.PEER-REVIEW.requirement`, prefixed by where it came from.
 */
export function parseProfile(json: unknown, source: string): Profile {
  const result = profileSchema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new InputError(source, 'is not a valid profile', { cause: result.error });
  let path = formatPath(issue.path);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const inControls = issue.path[issue.path.length - 1] === 'controls';
    path = path ? `${path}.${key}` : key;
    message = inControls ? `unknown control id (known: ${CONTROL_IDS.join(', ')})` : 'unknown field';
  }
  throw new InputError(path || '(profile)', `${message} (in ${source})`, { cause: result.error });
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

function effectiveTime(version: ProfileVersion): number {
  return Date.parse(version.effectiveFrom);
}

/**
 * The version in force at `atIso` (a merge or push time): the latest one whose `effectiveFrom`
 * is not after it. A change older than the first version is judged by the first version.
 */
export function profileVersionAt(profile: Profile, atIso: string): ProfileVersion {
  const at = Date.parse(atIso);
  let chosen = profile.versions[0]!;
  for (const version of profile.versions) {
    if (effectiveTime(version) <= at) chosen = version;
  }
  return chosen;
}

/** The versions in force at some moment of `[from, to)`, oldest first. */
export function versionsInForce(profile: Profile, from: string, to: string): ProfileVersion[] {
  const start = Date.parse(from);
  const end = Date.parse(to);
  return profile.versions.filter((version, i) => {
    const next = profile.versions[i + 1];
    const versionEnd = next ? effectiveTime(next) : Number.POSITIVE_INFINITY;
    const versionStart = i === 0 ? Number.NEGATIVE_INFINITY : effectiveTime(version);
    return versionStart < end && versionEnd > start;
  });
}

/** A control missing from a version is `off` in it. */
export function requirementOf(version: ProfileVersion, control: ControlId): Requirement {
  return version.controls[control]?.requirement ?? 'off';
}

/** The control ids that some version of the profile does not switch off, in catalogue order. */
export function profileControlIds(profile: Profile): ControlId[] {
  return CONTROL_IDS.filter((id) => profile.versions.some((version) => requirementOf(version, id) !== 'off'));
}
