import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { type CliWorld, capture, cliWorld } from '../support/cli.ts';

describe('driftless reconcile, status and audit', () => {
  let world: CliWorld | undefined;
  afterEach(async () => {
    await world?.cleanup();
    world = undefined;
  });

  async function setup() {
    world = await cliWorld('cli');
    return world;
  }

  it('reconciles, then shows every resource in sync with the commit applied, then answers audit queries', async () => {
    // Prepare
    const { repo, simulator, clients, tables, reconcileArgs } = await setup();
    const io = capture();

    // Act
    const reconcileExit = await run(reconcileArgs, io, clients);
    const reconcileOut = io.stdout();
    simulator.advance();
    io.reset();
    const statusExit = await run(['status', '--repo', repo.dir, ...tables], io, clients);
    const statusOut = io.stdout();
    io.reset();
    const auditExit = await run(['audit', ...tables, '--resource', 'EcsService:prod/web'], io, clients);
    const auditOut = io.stdout();
    io.reset();
    await run(['audit', ...tables, '--since', '1h', '--json'], io, clients);
    const window = JSON.parse(io.stdout());

    // Assess
    expect(reconcileExit).toBe(0);
    expect(reconcileOut).toContain('✓ EcsService:prod/web: applied');
    expect(reconcileOut).toContain('Result: applied');
    expect(statusExit).toBe(0);
    expect(statusOut).toMatch(/EcsService:prod\/web\s+in sync\s+Healthy\s+[0-9a-f]{8} at /);
    expect(statusOut).toMatch(/CloudFormationStack:platform-network\s+in sync\s+Healthy/);
    expect(auditExit).toBe(0);
    expect(auditOut).toMatch(/intent\s+intent\s+manual\s+EcsService:prod\/web\s+RegisterTaskDefinition/);
    expect(auditOut).toMatch(/outcome\s+succeeded\s+manual\s+EcsService:prod\/web\s+CreateService/);
    expect(window.filter((entry: { kind: string }) => entry.kind === 'run')).toHaveLength(1);
  });

  it('makes no write on --dry-run and records the intents as dry-run', async () => {
    // Prepare
    const { simulator, clients, tables, reconcileArgs } = await setup();
    const io = capture();

    // Act
    const exitCode = await run([...reconcileArgs, '--dry-run'], io, clients);
    const out = io.stdout();
    io.reset();
    await run(['audit', ...tables, '--json'], io, clients);
    const entries = JSON.parse(io.stdout());

    // Assess: the result says what it would do, never "in-sync"
    expect(exitCode).toBe(0);
    expect(out).toContain(
      'Result: dry-run (would apply 4: CloudFormationStack:platform-network; EcsService:prod/api; EcsService:prod/web; and 1 more)',
    );
    expect(out).not.toContain('in-sync');
    expect(entries.filter((entry: { kind: string }) => entry.kind === 'run')).toEqual([
      expect.objectContaining({
        result: 'dry-run',
        reason:
          'would apply 4: CloudFormationStack:platform-network; EcsService:prod/api; EcsService:prod/web; and 1 more',
        summary: { 'dry-run': 4 },
      }),
    ]);
    expect(simulator.services()).toEqual([]);
    expect(simulator.stacks()).toEqual([]);
    const intents = entries.filter((entry: { kind: string }) => entry.kind === 'intent');
    expect(intents.length).toBeGreaterThan(0);
    expect(intents.every((entry: { result: string }) => entry.result === 'dry-run')).toBe(true);
  });

  it('reports a change held by a pause as held, with the reason, and exits 2; in-sync only once nothing is left', async () => {
    // Prepare: everything applied; then web paused and a new image pushed
    const { repo, simulator, clients: base, tables, reconcileArgs } = await setup();
    const clients = { ...base, callerIdentity: async () => 'arn:aws:sts::123456789012:assumed-role/OnCall/Ana' };
    const io = capture();
    await run(reconcileArgs, io, clients);
    simulator.advance();
    await run(
      ['pause', 'web', '--for', '2h', '--reason', 'INC-7: hands off', '--repo', repo.dir, ...tables],
      io,
      clients,
    );
    const web = (await repo.git('show', 'HEAD:services/web.yaml')).toString();
    await repo.commit({ 'services/web.yaml': web.replace('web:1.4.2', 'web:1.4.3') }, 'web: image 1.4.3');
    io.reset();

    // Act
    const heldExit = await run(reconcileArgs, io, clients);
    const heldOut = io.stdout();
    io.reset();
    await run([...reconcileArgs, '--json'], io, clients);
    const heldJson = JSON.parse(io.stdout());
    io.reset();
    await run(['resume', 'web', '--repo', repo.dir, ...tables], io, clients);
    const appliedExit = await run(reconcileArgs, io, clients);
    simulator.advance();
    io.reset();
    const quietExit = await run(reconcileArgs, io, clients);
    const quietOut = io.stdout();

    // Assess
    expect(heldExit).toBe(2);
    expect(heldOut).toMatch(/↷ EcsService:prod\/web: skipped — paused until \S+ by \S+OnCall\/Ana: INC-7: hands off/);
    expect(heldOut).toMatch(
      /Result: held \(1 held: EcsService:prod\/web — paused until \S+ by \S+: INC-7: hands off \(changes planned, not applied\)\)\n$/,
    );
    expect(heldOut).not.toContain('in-sync');
    expect(heldJson).toMatchObject({
      status: 'held',
      held: [{ resourceId: 'EcsService:prod/web', reason: expect.stringContaining('INC-7: hands off') }],
    });
    expect(appliedExit).toBe(0);
    expect(quietExit).toBe(0);
    expect(quietOut).toContain('Result: in-sync\n');
  });

  it('lists failures and refusals with --failed after a broken commit', async () => {
    // Prepare
    const { repo, simulator, clients, tables, reconcileArgs } = await setup();
    const io = capture();
    await run(reconcileArgs, io, clients);
    simulator.advance();
    await repo.commit({ 'services/web.yaml': 'apiVersion: driftless/v1\nkind: EcsServce\n' }, 'broken');
    io.reset();
    const brokenExit = await run(reconcileArgs, io, clients);
    const brokenOut = io.stdout();
    io.reset();

    // Act
    const exitCode = await run(['audit', ...tables, '--failed'], io, clients);

    // Assess
    expect(brokenExit).toBe(1);
    expect(brokenOut).toContain('services/web.yaml:2:7 E_SCHEMA unknown kind "EcsServce"; did you mean "EcsService"?');
    expect(exitCode).toBe(0);
    expect(io.stdout()).toMatch(/run\s+failed/);
  });

  it('rejects a --since it cannot read', async () => {
    const { clients, tables } = await setup();
    const io = capture();
    expect(await run(['audit', ...tables, '--since', 'yesterday-ish'], io, clients)).toBe(1);
    expect(io.stderr()).toContain('use 30m, 1h, 7d or a date');
  });
});
