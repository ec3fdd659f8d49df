/** The saved Logs Insights queries (infra/queries.ts) over the functions' log groups, listed under "Saved queries"
 * in the console as driftless/… */
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LEDGER_QUERIES } from '../queries.ts';

export interface LedgerQueriesProps {
  /** The log groups the ledger lines are written to. */
  readonly logGroups: readonly logs.ILogGroup[];
  /**
   * Prefix of every query name, for installations that share an account.
   * @default 'driftless/' (the names in infra/queries.ts)
   */
  readonly namePrefix?: string;
}

export class LedgerQueries extends Construct {
  readonly queryDefinitions: logs.CfnQueryDefinition[] = [];

  constructor(scope: Construct, id: string, props: LedgerQueriesProps) {
    super(scope, id);
    const prefix = props.namePrefix ?? 'driftless/';
    for (const [name, queryString] of Object.entries(LEDGER_QUERIES)) {
      const suffix = name.replace(/^driftless\//, '');
      this.queryDefinitions.push(
        new logs.CfnQueryDefinition(this, suffix, {
          name: `${prefix}${suffix}`,
          queryString,
          logGroupNames: props.logGroups.map((group) => group.logGroupName),
        }),
      );
    }
  }
}
