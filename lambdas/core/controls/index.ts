import type { ControlId } from '../profile.ts';
import { cdPipeline } from './cd-pipeline.ts';
import { changeFailureRate } from './change-failure-rate.ts';
import { changeRecord } from './change-record.ts';
import { ciPassed } from './ci-passed.ts';
import { emergency } from './emergency.ts';
import { iacSignoff } from './iac-signoff.ts';
import { override } from './override.ts';
import { peerReview } from './peer-review.ts';
import { prRequired } from './pr-required.ts';
import { retention } from './retention.ts';
import { rollback } from './rollback.ts';
import type { ControlRule } from './rule.ts';
import { securityReview } from './security-review.ts';
import { segregation } from './segregation.ts';
import { signedCommits } from './signed-commits.ts';
import { ticketLinked } from './ticket-linked.ts';

/** Every control rule by its id: the catalogue of the project's control specification. */
export const CONTROL_RULES: Readonly<Record<ControlId, ControlRule>> = {
  'PR-REQUIRED': prRequired,
  'TICKET-LINKED': ticketLinked,
  'CI-PASSED': ciPassed,
  'PEER-REVIEW': peerReview,
  'SECURITY-REVIEW': securityReview,
  'IAC-SIGNOFF': iacSignoff,
  'SIGNED-COMMITS': signedCommits,
  'CD-PIPELINE': cdPipeline,
  ROLLBACK: rollback,
  EMERGENCY: emergency,
  OVERRIDE: override,
  SEGREGATION: segregation,
  'CHANGE-RECORD': changeRecord,
  RETENTION: retention,
  'CHANGE-FAILURE-RATE': changeFailureRate,
};

export type { ControlRule, EvaluationContext, PeriodVerdicts, RuleResult } from './rule.ts';
