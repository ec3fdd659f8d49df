/** The phases a service deployment moves through under its strategy (ROLLING, BLUE_GREEN, LINEAR, CANARY): status,
 * lifecycle stage, traffic on the target revision and how long each lasts on the simulator's clock. */
import type { DeploymentConfiguration, ServiceDeploymentLifecycleStage } from '@aws-sdk/client-ecs';

/** ECS's documented defaults for the linear and canary strategies. */
const LINEAR_DEFAULTS = { stepPercent: 10, stepBakeTimeInMinutes: 6 };
const CANARY_DEFAULTS = { canaryPercent: 5, canaryBakeTimeInMinutes: 10 };

/** One step of a deployment's plan: where it stands and what the target revision holds there. */
export interface Phase {
  readonly status: 'PENDING' | 'IN_PROGRESS';
  readonly stage?: ServiceDeploymentLifecycleStage;
  /** Production and test traffic on the target revision, in percent (traffic strategies only). */
  readonly production?: number;
  readonly test?: number;
  /** The target revision's tasks are up. */
  readonly scaledUp: boolean;
  /** The source revisions have scaled down. */
  readonly cleanedUp: boolean;
  /** How long the phase lasts on the simulator's clock; 0 = until the next step. */
  readonly minutes: number;
}

/** The phases a deployment moves through under its strategy, as the ECS developer guide lists the lifecycle
 * stages; ROLLING reports no stage. */
export function plan(configuration: DeploymentConfiguration, reconcile: boolean): Phase[] {
  const pending: Phase = { status: 'PENDING', scaledUp: false, cleanedUp: false, minutes: 0 };
  const strategy = configuration.strategy ?? 'ROLLING';
  if (strategy === 'ROLLING') {
    return [pending, { status: 'IN_PROGRESS', scaledUp: false, cleanedUp: false, minutes: 0 }];
  }
  const at = (stage: ServiceDeploymentLifecycleStage, rest: Partial<Phase> = {}): Phase => ({
    status: 'IN_PROGRESS',
    stage,
    production: 0,
    test: 0,
    scaledUp: false,
    cleanedUp: false,
    minutes: 0,
    ...rest,
  });
  const up = { scaledUp: true };
  const tested = { ...up, test: 100 };
  const shifts: Phase[] = [];
  if (strategy === 'LINEAR') {
    const given = configuration.linearConfiguration?.stepPercent;
    // ECS refuses steps below 3 %; a step the request did not validate must still end the plan.
    const step = given !== undefined && given >= 0.1 ? given : LINEAR_DEFAULTS.stepPercent;
    const bake = configuration.linearConfiguration?.stepBakeTimeInMinutes ?? LINEAR_DEFAULTS.stepBakeTimeInMinutes;
    for (let weight = step; weight < 100; weight = round(weight + step)) {
      shifts.push(at('PRODUCTION_TRAFFIC_SHIFT', { ...tested, production: round(weight), minutes: bake }));
    }
  } else if (strategy === 'CANARY') {
    const percent = configuration.canaryConfiguration?.canaryPercent ?? CANARY_DEFAULTS.canaryPercent;
    const bake = configuration.canaryConfiguration?.canaryBakeTimeInMinutes ?? CANARY_DEFAULTS.canaryBakeTimeInMinutes;
    if (percent < 100) shifts.push(at('PRODUCTION_TRAFFIC_SHIFT', { ...tested, production: percent, minutes: bake }));
  }
  shifts.push(at('PRODUCTION_TRAFFIC_SHIFT', { ...tested, production: 100 }));
  const shifted = { ...tested, production: 100 };
  return [
    pending,
    ...(reconcile ? [at('RECONCILE_SERVICE')] : []),
    at('PRE_SCALE_UP'),
    at('SCALE_UP'),
    at('POST_SCALE_UP', up),
    at('TEST_TRAFFIC_SHIFT', tested),
    at('POST_TEST_TRAFFIC_SHIFT', tested),
    ...shifts,
    at('POST_PRODUCTION_TRAFFIC_SHIFT', shifted),
    at('BAKE_TIME', { ...shifted, minutes: configuration.bakeTimeInMinutes ?? 0 }),
    at('CLEAN_UP', { ...shifted, cleanedUp: true }),
  ];
}

/** Traffic weights are multiples of 0.1: no floating-point dust from repeated steps. */
export function round(weight: number): number {
  return Math.round(weight * 10) / 10;
}
