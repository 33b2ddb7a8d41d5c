import { type ControlRule, result } from './rule.ts';

/** Clerk §6: monthly metric, production incidents caused by change below 3 %. */
export const changeFailureRate: ControlRule = {
  id: 'CHANGE-FAILURE-RATE',
  title: 'Change failure rate below the threshold',
  howDecided:
    'Judged once for the period: production deployments created in the period that failed (a failure or error status) ' +
    'or were rolled back (the next production deployment put the previous good SHA back), divided by all production ' +
    "deployments created in the period, must be below the profile's threshold (3 %). No production deployment: not " +
    'applicable; a deployment collection gap: unknown. Incident links are not read unless an incident source is ' +
    'configured. Every change carries the period verdict.',
  evaluate(_change, { periodVerdicts }) {
    const period = periodVerdicts['CHANGE-FAILURE-RATE'];
    return result(period.verdict, period.reasons, period.evidence);
  },
};
