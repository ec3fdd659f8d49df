/** The ready-made stack `npx cdk deploy` creates (infra/create-app.ts): one Driftless construct and nothing else,
 * so an installation from this repository and one added to a team's own stack synthesize the same resources. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DriftlessContext } from './context.ts';
import { Driftless, type DriftlessProps } from './driftless.ts';

export type { DriftlessFunctions } from './driftless.ts';

export interface DriftlessStackProps extends StackProps {
  /** The installation's settings, as the context gives them (validated by the construct). */
  readonly driftless: DriftlessProps;
}

export class DriftlessStack extends Stack {
  /** The installation; its id `Default` leaves the logical ids exactly as they were when this stack held it all. */
  readonly driftless: Driftless;
  readonly settings: DriftlessContext;
  readonly tables: Driftless['tables'];
  readonly functions: Driftless['functions'];
  readonly shardQueue?: Driftless['shardQueue'];
  readonly triggers: Driftless['triggers'];
  readonly webhook?: Driftless['webhook'];
  readonly trail?: Driftless['trail'];
  readonly permissions: Driftless['permissions'];
  readonly cloudFormationRoleArn: string;
  readonly cloudFormationRole?: Driftless['cloudFormationRole'];
  readonly pausePolicy: Driftless['pausePolicy'];
  readonly ledgerArchive?: Driftless['ledgerArchive'];

  constructor(scope: Construct, id: string, props: DriftlessStackProps) {
    const { driftless: settings, ...stackProps } = props;
    super(scope, id, stackProps);
    const driftless = new Driftless(this, 'Default', settings);
    this.driftless = driftless;
    this.settings = driftless.settings;
    this.tables = driftless.tables;
    this.functions = driftless.functions;
    this.triggers = driftless.triggers;
    this.permissions = driftless.permissions;
    this.cloudFormationRoleArn = driftless.cloudFormationRoleArn;
    this.pausePolicy = driftless.pausePolicy;
    if (driftless.shardQueue) this.shardQueue = driftless.shardQueue;
    if (driftless.webhook) this.webhook = driftless.webhook;
    if (driftless.trail) this.trail = driftless.trail;
    if (driftless.cloudFormationRole) this.cloudFormationRole = driftless.cloudFormationRole;
    if (driftless.ledgerArchive) this.ledgerArchive = driftless.ledgerArchive;
  }
}
