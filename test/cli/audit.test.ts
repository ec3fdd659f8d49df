/** `driftless audit --failed` lists the intents no outcome answers, beside failures, on DynamoDB Local. */
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { DynamoDbLedger } from '../../shared/audit/dynamodb.ts';
import { newEntryId } from '../../shared/audit/ids.ts';
import type { LedgerEntry } from '../../shared/audit/ledger.ts';
import { silentLogLine } from '../../shared/audit/log.ts';
import { type CliWorld, capture, cliWorld } from '../support/cli.ts';

const MINUTE = 60_000;

function entry(minutesAgo: number, fields: Partial<LedgerEntry>): LedgerEntry {
  const time = new Date(Date.now() - minutesAgo * MINUTE).toISOString();
  return {
    entryId: newEntryId(time),
    kind: 'intent',
    time,
    runId: 'run-dead',
    trigger: 'push',
    repository: 'platform-config',
    branch: 'main',
    commitId: 'c0ffee00c0ffee00',
    dryRun: false,
    resourceId: 'EcsService:prod/web',
    action: 'UpdateService',
    ...fields,
  };
}

describe('driftless audit --failed', () => {
  let world: CliWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  it('lists unpaired intents, saying whether their run may still be writing, and leaves answered ones out', async () => {
    // Prepare: the tables exist after a first reconcile; then a dead run's history is written beside it.
    world = await cliWorld('audit');
    const io = capture();
    expect(await run(world.reconcileArgs, io, world.clients)).toBe(0);
    const ledger = new DynamoDbLedger({ tableName: world.ledgerTable, client: world.dynamoDb, logger: silentLogLine });
    const history = [
      entry(90, { actionId: 'answered' }),
      entry(89, { actionId: 'answered', kind: 'outcome', result: 'succeeded' }),
      entry(60, { actionId: 'orphaned', resourceId: 'EcsService:prod/worker' }),
      entry(2, { actionId: 'in-flight', action: 'RegisterTaskDefinition' }),
      entry(1, { actionId: 'practice', result: 'dry-run', dryRun: true }),
      entry(30, { actionId: 'broke', kind: 'outcome', result: 'failed', errorMessage: 'ECS said no' }),
    ];
    for (const item of history) await ledger.append(item);
    io.reset();

    // Act
    const exitCode = await run(['audit', ...world.tables, '--failed'], io, world.clients);
    const table = io.stdout();
    io.reset();
    await run(['audit', ...world.tables, '--failed', '--json'], io, world.clients);
    const listed = JSON.parse(io.stdout()) as (LedgerEntry & { unpaired?: boolean })[];

    // Assess
    expect(exitCode).toBe(0);
    expect(table).toMatch(
      /intent\s+unpaired\s+push\s+EcsService:prod\/worker\s+UpdateService\s+c0ffee00\s+no outcome recorded: the next run of platform-config\/main records what live state shows/,
    );
    expect(table).toMatch(
      /intent\s+unpaired\s+push\s+EcsService:prod\/web\s+RegisterTaskDefinition.*no outcome yet: its run may still be writing/,
    );
    expect(table).toMatch(/outcome\s+failed\s+push\s+EcsService:prod\/web\s+UpdateService.*ECS said no/);
    expect(listed.map((item) => item.actionId ?? item.kind)).toEqual(['orphaned', 'broke', 'in-flight']);
    expect(listed.map((item) => item.unpaired ?? false)).toEqual([true, false, true]);
  });
});
