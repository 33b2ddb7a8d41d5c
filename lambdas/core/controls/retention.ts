import { changeEvidence } from '../change.ts';
import { type ControlRule, result } from './rule.ts';

/** Clerk §6: deployment logs retained 1 year; Clicki: logs and change history retained. */
export const retention: ControlRule = {
  id: 'RETENTION',
  title: 'Evidence is kept at least one year, immutably',
  howDecided:
    'Judged once for the period from the evidence store itself: versioning on, Object Lock on in COMPLIANCE mode (or ' +
    "GOVERNANCE where the profile allows it), default retention at least the profile's minimum (365 days), the store " +
    'enforcing immutability, and every object in the pack manifest retained at least that many days after it was ' +
    'written. Every change carries the period verdict; a local directory store is not immutable and fails.',
  evaluate(change, { periodVerdicts }) {
    const period = periodVerdicts.RETENTION;
    // The period's verdict and reasons, with the change's own evidence. The objects retained
    // too short are the period verdict's evidence, named once: copied into every change they
    // made a failing month quadratic (50,000 changes × 270,000 objects).
    return result(period.verdict, period.reasons, changeEvidence(change));
  },
};
