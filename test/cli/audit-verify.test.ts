/** `driftless audit --verify` on DynamoDB Local: an honest ledger written by a real reconcile run (and a break-glass
 * pause) verifies; entries edited, deleted or moved with the SDK, as anyone with write access to the table could,
 * break their partition's chain and the command says where, in text and JSON, with exit code 1. */
import {
  type AttributeValue,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import type { PartitionVerdict } from '../../shared/audit/verify.ts';
import { type CliWorld, capture, cliWorld } from '../support/cli.ts';

type Item = Record<string, AttributeValue>;

interface VerifyReport {
  readonly partitions: number;
  readonly intact: number;
  readonly broken: number;
  readonly verdicts: PartitionVerdict[];
}

describe('driftless audit --verify', () => {
  let world: CliWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  /** The example repository reconciled once, and `web` paused by an on-call engineer. */
  async function reconciled() {
    world = await cliWorld('verify');
    const clients = {
      ...world.clients,
      callerIdentity: async () => 'arn:aws:sts::123456789012:assumed-role/OnCall/ana',
    };
    const io = capture();
    expect(await run(world.reconcileArgs, io, clients)).toBe(0);
    world.simulator.advance();
    const pause = ['pause', 'web', '--for', '1h', '--reason', 'INC-7: looking', '--repo', world.repo.dir];
    expect(await run([...pause, ...world.tables], io, clients)).toBe(0);
    io.reset();
    return { world, clients, io };
  }

  /** The entries of one resource's partition (links left out), oldest first, as stored. */
  async function entriesOf(resourceId: string): Promise<Item[]> {
    const page = await world!.dynamoDb.send(
      new QueryCommand({
        TableName: world!.ledgerTable,
        KeyConditionExpression: 'pk = :pk AND sk >= :entries',
        ExpressionAttributeValues: { ':pk': { S: `RESOURCE#${resourceId}` }, ':entries': { S: '0' } },
        ConsistentRead: true,
      }),
    );
    return page.Items ?? [];
  }

  const keyOf = (item: Item) => ({ pk: item.pk as AttributeValue, sk: item.sk as AttributeValue });

  it('verifies the ledger of a real reconcile run and a pause: every partition OK, with its head', async () => {
    // Prepare
    const { world, clients, io } = await reconciled();

    // Act
    const exitCode = await run(['audit', '--verify', ...world.tables], io, clients);
    const text = io.stdout();
    io.reset();
    const windowExit = await run(['audit', '--verify', '--since', '1h', '--json', ...world.tables], io, clients);
    const report = JSON.parse(io.stdout()) as VerifyReport;

    // Assess
    expect(exitCode).toBe(0);
    expect(text).toMatch(/^RESOURCE#EcsService:prod\/web\s+OK {2}\d+ chained, head \d+ [0-9a-f]{16}$/m);
    expect(text).toMatch(/^RESOURCE#CloudFormationStack:platform-network\s+OK/m);
    expect(text).toMatch(/^RUN#\S+\s+OK {2}1 chained, head 1 /m);
    expect(text).toMatch(/partitions of verify-ledger-\w+ verified: (\d+) intact, 0 broken\.$/m);
    expect(windowExit).toBe(0);
    expect(report.broken).toBe(0);
    expect(report.partitions).toBe(report.intact);
    const web = report.verdicts.find((verdict) => verdict.partition === 'RESOURCE#EcsService:prod/web');
    // RegisterTaskDefinition and CreateService (an intent and an outcome each), then the pause.
    expect(web).toMatchObject({ entries: 5, chained: 5, beforeChain: 0, head: { sequence: 5 } });
    expect(report.verdicts.map((verdict) => verdict.partition)).toEqual(
      [...report.verdicts.map((verdict) => verdict.partition)].sort(),
    );
  });

  it('finds an edited entry, a deleted entry and a moved one, each in its own partition, and exits 1', async () => {
    // Prepare: the attacker has write access to the table and none to the hashes' meaning.
    const { world, clients, io } = await reconciled();
    const [, outcome] = await entriesOf('EcsService:prod/web');
    await world.dynamoDb.send(
      new UpdateItemCommand({
        TableName: world.ledgerTable,
        Key: keyOf(outcome as Item),
        UpdateExpression: 'SET #reason = :reason',
        ExpressionAttributeNames: { '#reason': 'reason' },
        ExpressionAttributeValues: { ':reason': { S: 'approved by change board' } },
      }),
    );
    const [, removed] = await entriesOf('EcsService:prod/worker');
    await world.dynamoDb.send(new DeleteItemCommand({ TableName: world.ledgerTable, Key: keyOf(removed as Item) }));
    const stackEntries = await entriesOf('CloudFormationStack:platform-network');
    const [first, second] = stackEntries;
    const earlier = new Date(Date.parse(String(first?.time?.S)) - 3_600_000).toISOString();
    const movedSk = `${earlier}${String(second?.sk?.S).slice(24)}`;
    await world.dynamoDb.send(new DeleteItemCommand({ TableName: world.ledgerTable, Key: keyOf(second as Item) }));
    await world.dynamoDb.send(
      new PutItemCommand({
        TableName: world.ledgerTable,
        Item: { ...(second as Item), sk: { S: movedSk }, time: { S: earlier } },
      }),
    );

    // Act
    const exitCode = await run(['audit', '--verify', ...world.tables], io, clients);
    const text = io.stdout();
    io.reset();
    const jsonExit = await run(['audit', '--verify', '--json', ...world.tables], io, clients);
    const report = JSON.parse(io.stdout()) as VerifyReport;
    io.reset();
    const oneExit = await run(['audit', '--verify', '--resource', 'EcsService:prod/web', ...world.tables], io, clients);
    const one = io.stdout();

    // Assess
    expect(exitCode).toBe(1);
    expect(jsonExit).toBe(1);
    expect(oneExit).toBe(1);
    expect(text).toMatch(
      new RegExp(
        `^RESOURCE#EcsService:prod/web\\s+EDITED at sequence 2, ${outcome?.sk?.S}: its stored fields no longer hash`,
        'm',
      ),
    );
    expect(text).toMatch(
      new RegExp(
        `^RESOURCE#EcsService:prod/worker\\s+DELETED at sequence 2, ${removed?.sk?.S}: sequence 2 is missing`,
        'm',
      ),
    );
    expect(text).toMatch(
      new RegExp(
        `^RESOURCE#CloudFormationStack:platform-network\\s+REORDERED at sequence 2, ${movedSk}: moved in time`,
        'm',
      ),
    );
    expect(text).toMatch(/verified: \d+ intact, 3 broken\.$/m);
    const breaks = Object.fromEntries(
      report.verdicts.filter((verdict) => verdict.break).map((verdict) => [verdict.partition, verdict.break?.kind]),
    );
    expect(breaks).toEqual({
      'RESOURCE#EcsService:prod/web': 'edited',
      'RESOURCE#EcsService:prod/worker': 'deleted',
      'RESOURCE#CloudFormationStack:platform-network': 'reordered',
    });
    expect(one.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('refuses --verify with --commit or --failed, and a clock skew that is not a duration', async () => {
    // Prepare
    world = await cliWorld('verify-args');
    const io = capture();

    // Act
    const withCommit = await run(['audit', '--verify', '--commit', 'abc', ...world.tables], io, world.clients);
    const withSkew = await run(['audit', '--verify', '--clock-skew', 'soon', ...world.tables], io, world.clients);

    // Assess
    expect(withCommit).toBe(1);
    expect(withSkew).toBe(1);
    expect(io.stderr()).toContain('--verify walks partitions: use it with --resource or --since');
    expect(io.stderr()).toContain('--clock-skew soon is not a duration');
    expect(io.stdout()).toBe('');
  });
});
