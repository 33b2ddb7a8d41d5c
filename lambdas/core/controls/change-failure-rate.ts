import type { ControlRule } from './rule.ts';

/** Clerk §6: monthly metric, production incidents caused by change below 3 %. */
export const changeFailureRate: ControlRule = {
  id: 'CHANGE-FAILURE-RATE',
  title: 'Change failure rate below the threshold',
  howDecided:
    'Judged once for the period. With an incident source configured (Better Stack): the changes named as the cause of ' +
    'an incident that started in the period (by a PR URL, org/repo#number, a commit SHA or commit URL in its name, cause ' +
    "or metadata), divided by the changes with a production deployment in the period, must be below the profile's " +
    'threshold (3 %); each incident is listed with the change it names, or as naming none; a gap in the incidents or ' +
    'the deployments: unknown. Without one: production deployments created in the period that failed (a failure or ' +
    'error status) or were rolled back (the next production deployment put the previous good SHA back), divided by all ' +
    'production deployments created in the period, labelled in the pack as a proxy for the incident-based rate; a ' +
    'deployment collection gap: unknown. No production deployment: not applicable. Every change carries the period verdict.',
  evaluate(_change, { periodVerdicts }) {
    // The period's verdict as it is, causes included: every change carries it.
    return periodVerdicts['CHANGE-FAILURE-RATE'];
  },
};
