import type { ControlRule } from './rule.ts';

/** Clerk §6: monthly metric, production incidents caused by change below 3 %. */
export const changeFailureRate: ControlRule = {
  id: 'CHANGE-FAILURE-RATE',
  title: 'Change failure rate below the threshold',
  howDecided:
    'Judged once for the period: production deployments created in the period that failed (a failure or error status) ' +
    'or were rolled back (the next production deployment put the previous good SHA back), divided by all production ' +
    "deployments created in the period, must be below the profile's threshold (3 %). No production deployment: not " +
    'applicable; a deployment collection gap: unknown. With no incident source configured (this version ' +
    'reads none), this deployment figure is a proxy for the incident-based rate and the pack labels it so. Every change ' +
    'carries the period verdict.',
  evaluate(_change, { periodVerdicts }) {
    // The period's verdict as it is, causes included: every change carries it.
    return periodVerdicts['CHANGE-FAILURE-RATE'];
  },
};
