import { userInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { DynamoDbLedger } from '../../shared/audit/dynamodb.ts';
import { silentLogLine } from '../../shared/audit/log.ts';
import { type CliWorld, capture, cliWorld } from '../support/cli.ts';

const ONCALL = 'arn:aws:sts::123456789012:assumed-role/OnCall/Jorge_Souza';
const NOW = Date.parse('2026-11-27T12:00:00.000Z');

describe('driftless pause and resume', () => {
  let world: CliWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  async function setup() {
    world = await cliWorld('cli-pause');
    const { repo, simulator, dynamoDb, ledgerTable, reconcileArgs } = world;
    let clock = NOW;
    const clients = { ...world.clients, callerIdentity: async () => ONCALL, now: () => clock };
    const io = capture();
    await run(reconcileArgs, io, clients);
    simulator.advance();
    io.reset();
    const ledger = new DynamoDbLedger({ tableName: ledgerTable, client: dynamoDb, logger: silentLogLine });
    return {
      repo,
      clients,
      io,
      ledger,
      args: ['--repo', repo.dir, '--ledger-table', ledgerTable],
      setClock: (value: number) => {
        clock = value;
      },
    };
  }

  it('pauses a declared resource with the caller identity, lists it in status, and resumes it', async () => {
    // Prepare
    const { repo, clients, io, ledger, args } = await setup();
    const reason = 'INC-4411: hot-fix under investigation';

    // Act
    const pauseExit = await run(['pause', 'web', '--for', '2h', '--reason', reason, ...args], io, clients);
    const pauseOut = io.stdout();
    io.reset();
    const statusExit = await run(['status', ...args], io, clients);
    const statusOut = io.stdout();
    io.reset();
    await run(['status', '--json', ...args], io, clients);
    const statusJson = JSON.parse(io.stdout()) as { id: string; paused?: unknown }[];
    io.reset();
    const resumeExit = await run(['resume', 'EcsService:prod/web', ...args], io, clients);
    const resumeOut = io.stdout();
    io.reset();
    await run(['status', ...args], io, clients);
    const afterResume = io.stdout();

    // Assess
    expect(pauseExit).toBe(0);
    expect(pauseOut).toContain(
      `Paused EcsService:prod/web on ${repo.dir.split('/').at(-1)}@main until 2026-11-27T14:00:00.000Z by ${ONCALL}: ${reason}`,
    );
    expect(statusExit).toBe(0);
    expect(statusOut).toContain(`EcsService:prod/web until 2026-11-27T14:00:00.000Z by ${ONCALL}: ${reason}`);
    expect(statusJson.find((status) => status.id === 'EcsService:prod/web')?.paused).toEqual({
      until: '2026-11-27T14:00:00.000Z',
      by: ONCALL,
      reason,
    });
    expect(resumeExit).toBe(0);
    expect(resumeOut).toContain(
      `Resumed EcsService:prod/web (it was paused until 2026-11-27T14:00:00.000Z by ${ONCALL}) by ${ONCALL}.`,
    );
    expect(afterResume).not.toContain('Active pauses');
    const history = await ledger.resourceHistory('EcsService:prod/web');
    expect(history.filter((entry) => entry.kind === 'pause' || entry.kind === 'resume')).toEqual([
      expect.objectContaining({ kind: 'resume', changedBy: ONCALL, apiCall: 'driftless:resume', reason: 'resumed' }),
      expect.objectContaining({
        kind: 'pause',
        changedBy: ONCALL,
        apiCall: 'driftless:pause',
        until: '2026-11-27T14:00:00.000Z',
        reason,
        time: '2026-11-27T12:00:00.000Z',
      }),
    ]);
  });

  it('expires by itself: status no longer lists a pause once its window has passed', async () => {
    // Prepare
    const { clients, io, args, setClock } = await setup();
    await run(['pause', 'web', '--for', '30m', '--reason', 'failover drill', ...args], io, clients);
    io.reset();

    // Act
    setClock(NOW + 29 * 60_000);
    await run(['status', ...args], io, clients);
    const inside = io.stdout();
    io.reset();
    setClock(NOW + 30 * 60_000);
    await run(['status', ...args], io, clients);
    const after = io.stdout();

    // Assess
    expect(inside).toContain('Active pauses');
    expect(after).not.toContain('Active pauses');
  });

  it('records local:<user> against a local endpoint', async () => {
    // Prepare
    const { clients, io, ledger, args } = await setup();
    const { callerIdentity: _injected, ...withoutIdentity } = clients;

    // Act
    const exit = await run(
      ['pause', 'web', '--for', '1d', '--reason', 'demo', '--endpoint', 'http://127.0.0.1:1', ...args],
      io,
      withoutIdentity,
    );

    // Assess
    expect(exit).toBe(0);
    const entry = (await ledger.resourceHistory('EcsService:prod/web')).find((candidate) => candidate.kind === 'pause');
    expect(entry?.changedBy).toBe(`local:${userInfo().username}`);
  });

  it.each([
    [
      ['pause', 'EcsService:prod/billing', '--for', '2h', '--reason', 'x'],
      /EcsService:prod\/billing is not declared in .* \(declared: .*EcsService:prod\/web/,
    ],
    [['pause', 'web', '--for', '8d', '--reason', 'x'], /--for 8d is longer than a pause may last \(7d\)/],
    [['pause', 'web', '--for', 'soon', '--reason', 'x'], /--for soon is not a duration such as 30m, 2h or 1d/],
    [['pause', 'web', '--for', '2h'], /required option '--reason <text>' not specified/],
  ])('refuses %j with a clear error and writes nothing', async (command, message) => {
    // Prepare
    const { clients, io, ledger, args } = await setup();

    // Act
    const exit = await run([...command, ...args], io, clients);

    // Assess
    expect(exit).toBe(1);
    expect(io.stderr()).toMatch(message);
    const history = await ledger.resourceHistory('EcsService:prod/web');
    expect(history.some((entry) => entry.kind === 'pause')).toBe(false);
  });

  it('explains itself in --help', async () => {
    // Prepare
    const io = capture();

    // Act
    const exit = await run(['pause', '--help'], io);

    // Assess
    expect(exit).toBe(0);
    expect(io.stdout()).toContain('drift on one resource is recorded but not reverted');
    expect(io.stdout()).toContain('--for <duration>');
    expect(io.stdout()).toContain('at most 7d');
  });
});
