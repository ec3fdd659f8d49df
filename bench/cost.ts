/** Monthly AWS cost of running driftless, from measured durations and call counts and public us-east-1 prices. */

/** Public prices (us-east-1, USD), as published by AWS; ECS and CloudFormation API calls cost nothing. */
export const PRICES = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  dynamoDbWriteRequest: 0.625 / 1_000_000,
  dynamoDbReadRequest: 0.125 / 1_000_000,
  logsIngestedGb: 0.5,
  logsStoredGbMonth: 0.03,
  eventBridgeCustomEvent: 1 / 1_000_000,
} as const;

export const ASSUMPTIONS = {
  lambdaMemoryGb: 0.5,
  sweepsPerMonth: (30 * 24 * 60) / 5,
  pushesPerMonth: 20 * 30,
  /** Write request units: lock acquire and release (1 each), renew-free short run; plus the run entry, a fenced
   * append (a TransactWriteItems: 2 units each for the entry, its hash-chain link, and the check on the lease item). */
  dynamoDbWritesPerSweepInSync: 8,
  /** Write request units: intent and outcome for RegisterTaskDefinition, UpdateService and TagResource and the run
   * entry, 7 fenced appends of 6 units; lock acquire and release. */
  dynamoDbWritesPerPush: 44,
  /** Ownership checks before each write (3 writes), the circuit-breaker history query, the unpaired intents, and the
   * chain head of the changed service read once (shared/audit/dynamodb-chain.ts). */
  dynamoDbReadsPerPush: 6,
  /** The Lambda START/END/REPORT lines and one ledger line per entry, about 1 KB each. */
  logKbPerSweep: 4,
  logKbPerPush: 12,
  eventsPerPush: 1,
} as const;

export interface CostInput {
  /** Warm sweep durations in seconds, measured, by fleet size. */
  readonly sweepSeconds: Readonly<Record<100 | 1000, number>>;
  readonly pushSeconds: number;
}

function monthly(sweepSeconds: number, pushSeconds: number) {
  const a = ASSUMPTIONS;
  const lambda =
    (a.sweepsPerMonth * sweepSeconds + a.pushesPerMonth * pushSeconds) * a.lambdaMemoryGb * PRICES.lambdaArmGbSecond +
    (a.sweepsPerMonth + a.pushesPerMonth) * PRICES.lambdaRequest;
  const dynamoDb =
    (a.sweepsPerMonth * a.dynamoDbWritesPerSweepInSync + a.pushesPerMonth * a.dynamoDbWritesPerPush) *
      PRICES.dynamoDbWriteRequest +
    a.pushesPerMonth * a.dynamoDbReadsPerPush * PRICES.dynamoDbReadRequest;
  const logGb = (a.sweepsPerMonth * a.logKbPerSweep + a.pushesPerMonth * a.logKbPerPush) / 1024 / 1024;
  const logs = logGb * (PRICES.logsIngestedGb + PRICES.logsStoredGbMonth);
  const events = a.pushesPerMonth * a.eventsPerPush * PRICES.eventBridgeCustomEvent;
  return { lambda, dynamoDb, logs, events, total: lambda + dynamoDb + logs + events };
}

export function monthlyCost(input: CostInput) {
  return {
    assumptions: ASSUMPTIONS,
    prices: PRICES,
    services100: monthly(input.sweepSeconds[100], input.pushSeconds),
    services1000: monthly(input.sweepSeconds[1000], input.pushSeconds),
  };
}
