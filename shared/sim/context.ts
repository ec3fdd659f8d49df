/** What both halves of the simulator share: the account and region they pretend to be, the clock, the ids. */
import type { IdGenerator } from './ids.ts';

export interface SimulatorContext {
  readonly accountId: string;
  readonly region: string;
  readonly ids: IdGenerator;
  /** Who the simulated calls come from, as registeredBy / createdBy report it. */
  readonly principalArn: string;
  /** The simulator's clock, as a Date for timestamps. */
  date(): Date;
}
