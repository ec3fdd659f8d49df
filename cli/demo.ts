/** `driftless demo`: the whole loop on this machine with no AWS account — DynamoDB Local for the ledger and the lock,
 * a real git repository made from examples/config-repo, and the in-memory ECS and CloudFormation simulator. */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventBridgeClient, type PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { createDeploymentOutcomeHandler, type DeploymentOutcomeEvent } from '../functions/deployment-outcome.ts';
import { DynamoDbLedger, ensureLedgerTable } from '../shared/audit/dynamodb.ts';
import { silentLogLine } from '../shared/audit/log.ts';
import { dynamoDbClient } from '../shared/aws/clients.ts';
import { ensureLockTable, LeaseLock } from '../shared/lock/lease.ts';
import { formatResolved, renderPlan } from '../shared/plan/render.ts';
import { liveReadersOf, loadConfined, planAgainstLive } from '../shared/reconcile/plan-run.ts';
import { reconcile } from '../shared/reconcile/run.ts';
import type { ReconcileRequest, ReconcileResult } from '../shared/reconcile/types.ts';
// The simulator is test support, never shipped in a Lambda bundle; the demo is its one use outside the tests.
import { createAwsSimulator } from '../shared/sim/index.ts';
import { LocalGitSource } from '../shared/source/local-git.ts';
import { LocalGitProposer } from '../shared/writeback/local-git-proposer.ts';
import { formatAudit } from './commands/audit.ts';
import { formatReconcile } from './commands/reconcile.ts';
import type { AwsClients } from './context.ts';
import { canaryScene } from './demo/canary-scene.ts';
import { gitHubScene } from './demo/github-scene.ts';
import { importScene } from './demo/import-scene.ts';
import { manualChangeScene } from './demo/manual-change-scene.ts';
import { indent } from './demo/narration.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from './output.ts';

const EXAMPLE_REPO = new URL('../examples/config-repo/', import.meta.url).pathname;
const LEDGER_TABLE = 'driftless-demo-ledger';
const LOCK_TABLE = 'driftless-demo-lock';
const INSTALLATION_ID = 'demo';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** How the demo runs a driftless command, as a user types it (the CLI's own run, handed in by main.ts). */
export type RunCli = (argv: readonly string[], io: CliIo, clients: AwsClients) => Promise<number>;

export async function demoCommand(io: CliIo, runCli: RunCli): Promise<number> {
  const say = (text: string) => io.out(`${text}\n`);
  const step = (title: string) => say(`\n${paint(io, 'bold', `── ${title}`)}`);
  say(paint(io, 'bold', 'driftless demo: the GitOps loop on this machine, with no AWS account.'));
  say('DynamoDB Local holds the audit ledger and the run lock; an in-memory ECS and CloudFormation stand in for AWS.');

  const started = new Date().toISOString();
  const dynamo = await startDynamoDbLocal();
  const workDir = await mkdtemp(join(tmpdir(), 'driftless-demo-'));
  // The demo's clock: scene 5 moves it past a pause's end instead of waiting two hours, scene 12 through a canary's
  // bake times; the simulator's rollouts follow it.
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  const simulator = createAwsSimulator({ seed: 1, now });
  try {
    const client = dynamoDbClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    await ensureLedgerTable(client, LEDGER_TABLE);
    await ensureLockTable(client, LOCK_TABLE);
    const ledger = new DynamoDbLedger({ tableName: LEDGER_TABLE, client, logger: silentLogLine });
    const lock = new LeaseLock({ tableName: LOCK_TABLE, client });
    const repoDir = join(workDir, 'platform-config');
    await cp(EXAMPLE_REPO, repoDir, { recursive: true });
    const git = async (...args: string[]) =>
      (
        await promisify(execFile)('git', ['-C', repoDir, ...args], { env: { ...process.env, ...GIT_IDENTITY } })
      ).stdout.trim();
    await git('init', '-q', '-b', 'main');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'platform config: web, worker and the network stack');
    say(`DynamoDB Local at ${dynamo.endpoint} (pid ${dynamo.pid}); configuration repository at ${repoDir}`);

    const source = new LocalGitSource({ repoDir });
    const deps = {
      source,
      ecs: simulator.ecs,
      cloudFormation: simulator.cloudFormation,
      ledger,
      lock,
      // Drift adoption proposes on a branch of the local repository (the "pull request" is the branch).
      proposer: new LocalGitProposer({ repoDir }),
      now,
    };
    const run = async (
      trigger: 'push' | 'schedule' | 'manual-change',
      scope: Pick<ReconcileRequest, 'resources' | 'manualChange'> = {},
      clock: { sleep?: (milliseconds: number) => Promise<void> } = {},
    ): Promise<ReconcileResult> => {
      const result = await reconcile(
        {
          repository: 'platform-config',
          branch: 'main',
          trigger,
          installationId: INSTALLATION_ID,
          applyOptions: { changeSetPollMs: 20, stackStablePollMs: 20 },
          ...scope,
        },
        { ...deps, ...clock },
      );
      io.out(indent(formatReconcile(result, io)));
      // The rollouts and stack operations the run started finish "later", as they would in AWS.
      simulator.advance();
      return result;
    };
    const editFile = async (path: string, edit: (text: string) => string) => {
      const file = join(repoDir, path);
      await writeFile(file, edit(await readFile(file, 'utf8')));
    };

    step('1. First reconcile: everything in Git is created (stacks in wave 0, then services)');
    const first = await run('push');

    step('2. git commit -am "web: image 1.4.3" — one new task definition revision, one UpdateService');
    await editFile('services/web.yaml', (text) => text.replace('web:1.4.2', 'web:1.4.3'));
    await git('commit', '-q', '-am', 'web: image 1.4.3');
    const bumpCommit = await git('rev-parse', 'HEAD');
    const second = await run('push');

    step('2b. Someone scales web to 1 in the console — CloudTrail reports the call, driftless reverts just web');
    const manual = await manualChangeScene(
      say,
      (service) => {
        simulator.driftService('prod', 'web', (live) => {
          live.desiredCount = service;
        });
      },
      (reading) => run('manual-change', { resources: reading.resources, manualChange: reading }),
    );

    step('3. Someone scales web to 1 task in the console — the next sweep finds the drift and reverts it');
    simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 1;
    });
    const readers = liveReadersOf(simulator);
    const live = await planAgainstLive(await loadConfined(source, { ref: 'main' }), readers);
    say(indent(`driftless plan sees:\n${renderPlan(live.plan)}`));
    const sweep = await run('schedule');

    step(
      '4. Drift policy adopt: worker says sync.drift: adopt; a console hot-fix becomes a pull request, not a revert',
    );
    await editFile('services/worker.yaml', (text) =>
      text.replace('sync:\n  wave: 1\n', 'sync:\n  wave: 1\n  drift: adopt\n'),
    );
    await git('commit', '-q', '-am', 'worker: adopt drift (hot-fixes become Git)');
    await run('push');
    simulator.driftService('prod', 'worker', (service) => {
      service.deploymentConfiguration = { ...service.deploymentConfiguration, maximumPercent: 150 };
    });
    say(indent("Someone sets worker's maximumPercent to 150 in the console; the sweep runs:"));
    const adoptSweep = await run('schedule');
    const adopted = adoptSweep.driftAdopted?.[0];
    if (adopted) {
      say(indent(`The proposal is branch ${adopted.branch}; git diff main ${adopted.branch}:`));
      say(indent(await git('diff', 'main', adopted.branch)));
      await git('merge', '-q', '--ff-only', adopted.branch);
      say(indent('Merged (fast-forward): the next push finds Git and live in agreement.'));
    }
    const adoptMerged = await run('push');

    step('5. Break glass: driftless pause web --for 2h; a console change and a push are recorded, not applied');
    const pauseArgs = ['--repo', repoDir, '--ledger-table', LEDGER_TABLE, '--endpoint', dynamo.endpoint];
    const cliClients = { ecs: simulator.ecs, cloudFormation: simulator.cloudFormation, dynamoDb: client, now };
    const pauseIo = { ...io, out: (text: string) => io.out(indent(text)) };
    await runCli(
      ['pause', 'web', '--for', '2h', '--reason', 'INC-4411: checkout latency, hands off web', ...pauseArgs],
      pauseIo,
      cliClients,
    );
    simulator.driftService('prod', 'web', (service) => {
      service.desiredCount = 6;
    });
    await editFile('services/web.yaml', (text) =>
      text.replace('{ name: LOG_LEVEL, value: info }', '{ name: LOG_LEVEL, value: debug }'),
    );
    await git('commit', '-q', '-am', 'web: LOG_LEVEL debug');
    say(indent('The sweep (web scaled to 6 in the console) and the push (LOG_LEVEL debug):'));
    const pausedSweep = await run('schedule');
    const pausedPush = await run('push');
    await runCli(['status', ...pauseArgs], pauseIo, cliClients);
    clockOffset += 2 * 3_600_000 + 60_000;
    say(
      indent(
        'Two hours later (the demo moves its clock): the pause has ended by itself, and the sweep reconciles web.',
      ),
    );
    const healed = await run('schedule');

    step('6. A commit with a broken file — nothing from it is applied, nothing is pruned, the error names file:line');
    await editFile('services/web.yaml', (text) => text.replace('desiredCount: 3', 'desiredCont: 3'));
    await git('commit', '-q', '-am', 'web: scale (with a typo)');
    const broken = await run('push');

    step('7. Rollback is git revert: revert the broken commit and the image bump');
    await git('revert', '--no-edit', 'HEAD');
    await git('revert', '--no-edit', bumpCommit);
    const rollback = await run('push');
    const image = simulator
      .taskDefinitions()
      .filter((revision) => revision.taskDefinition.family === 'web')
      .map((revision) => revision.taskDefinition.containerDefinitions?.[0]?.image?.split(':').at(-1));
    say(indent(`web task definition revisions registered, in order: ${image.join(', ')}`));

    step("8. Cross-kind references: web takes its subnets from the network stack's outputs, in one run");
    await editFile(
      'stacks/network.template.yaml',
      (text) =>
        `${text}  PrivateSubnetAId:\n    Value: !Ref PrivateSubnetA\n  PrivateSubnetBId:\n    Value: !Ref PrivateSubnetB\n`,
    );
    await editFile('services/web.yaml', (text) =>
      text.replace(
        'subnets: [subnet-0a1b2c3d4e5f60718, subnet-0b2c3d4e5f6071829]',
        'subnets: ["${stack:platform-network.PrivateSubnetAId}", "${stack:platform-network.PrivateSubnetBId}"]',
      ),
    );
    await git('commit', '-q', '-am', 'web: subnets from the network stack outputs');
    say(indent('the stack update runs first; web waits for it to be stable, then gets the new outputs'));
    // While the run waits for the stack, CloudFormation finishes the update (the simulator advances).
    const referenced = await run(
      'push',
      {},
      {
        sleep: async () => {
          simulator.advance();
        },
      },
    );
    const resolvedPlan = await planAgainstLive(await loadConfined(source, { ref: 'main' }), readers);
    const webAction = resolvedPlan.plan.actions.find((action) => action.id === 'EcsService:prod/web');
    const resolved = webAction?.resolved ?? [];
    say(indent(`driftless plan now shows where web's subnets come from:\n${resolved.map(formatResolved).join('\n')}`));
    const liveSubnets = simulator.services().find((service) => service.serviceName === 'web')?.networkConfiguration
      ?.awsvpcConfiguration?.subnets;
    say(indent(`web runs in: ${(liveSubnets ?? []).join(', ')}`));
    const referencesApplied =
      referenced.status === 'applied' &&
      webAction?.type === 'in-sync' &&
      resolved.length === 2 &&
      JSON.stringify(liveSubnets) === JSON.stringify(resolved.map((reference) => reference.value));
    step('9. A rollout the circuit breaker rolls back is written back to Git — and not applied again');
    await editFile('services/web.yaml', (text) => text.replace('web:1.4.2', 'web:1.5.0'));
    await git('commit', '-q', '-am', 'web: image 1.5.0');
    const badCommit = await git('rev-parse', 'HEAD');
    // The new image's tasks will not start: ECS's deployment circuit breaker fails the rollout and rolls it back.
    simulator.failNextRollout('prod', 'web');
    await run('push');
    const web = simulator.services().find((service) => service.serviceName === 'web');
    const rollout = (await ledger.resourceHistory('EcsService:prod/web')).find(
      (entry) => entry.commitId === badCommit && entry.kind === 'outcome' && entry.action === 'UpdateService',
    );
    io.out(indent(`ECS: ${web?.deployments?.[0]?.rolloutStateReason ?? '(no deployment)'}`));
    // The event ECS sends EventBridge, delivered to the deployment-outcome function as Lambda would.
    const published: string[] = [];
    const handler = createDeploymentOutcomeHandler({
      environment: {
        repository: 'platform-config',
        branch: 'main',
        pathPrefix: '',
        installationId: INSTALLATION_ID,
        ledgerTable: LEDGER_TABLE,
        lockTable: LOCK_TABLE,
        eventBus: 'default',
        allowedClusters: ['prod'],
        stackNamePrefix: 'platform-',
        allowedResourceTypes: ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::SecurityGroup'],
        readStacks: [],
        selfHeal: true,
        prune: false,
        readShare: 1,
      },
      source,
      ecs: simulator.ecs,
      eventBridge: capturingEventBus(published),
      ledger,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      // A local repository: the "pull request" is a branch, as `driftless rollback --repo` makes it.
      proposer: new LocalGitProposer({ repoDir }),
      // The demo's clock (moved on in scene 5), so its entries sort after the runs they follow.
      now,
    });
    const outcome = await handler({
      version: '0',
      id: '9f6c1e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
      'detail-type': 'ECS Deployment State Change',
      source: 'aws.ecs',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [web?.serviceArn ?? ''],
      detail: {
        eventType: 'ERROR',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        deploymentId: rollout?.references?.deploymentId ?? '',
        updatedAt: new Date().toISOString(),
        reason: 'ECS deployment circuit breaker: task failed to start.',
      },
    } as DeploymentOutcomeEvent);
    const proposal = outcome.outcome === 'recorded' ? outcome.rollbackProposal : undefined;
    io.out(
      indent(`deployment-outcome: ${outcome.outcome === 'recorded' ? `recorded ${outcome.result}` : outcome.outcome}`),
    );
    io.out(indent(`Rollout Failed published: ${published.join('; ') || '(nothing)'}`));
    if (proposal?.branch) {
      io.out(indent(`rollback proposal (never merged by driftless): branch ${proposal.branch}`));
      io.out(indent(await git('log', '-1', '--format=commit %H%nAuthor: %an <%ae>%n%n    %s', proposal.branch)));
      io.out(indent(await git('diff', '--no-color', 'main', proposal.branch)));
    } else {
      io.out(indent(`no rollback proposal: ${proposal?.reason ?? 'none'}`));
    }
    io.out(
      indent(`The same push again: commit ${badCommit.slice(0, 12)} is not re-applied to web until a newer commit.`),
    );
    const again = await run('push');

    step('10. driftless audit: what the ledger recorded in this session');
    const entries = await ledger.window({ since: started, until: new Date(now() + 1_000).toISOString() });
    io.out(indent(formatAudit(entries, io)));

    step('11. Bring an existing service under management: driftless import, plan in sync, the first run only tags it');
    if (proposal?.branch) {
      await git('merge', '-q', '--ff-only', proposal.branch);
      say(indent(`(First the team merges the rollback proposal of scene 9: Git says web:1.4.2 again, as live does.)`));
    }
    const imported = await importScene({ say, io, simulator, repoDir, git, runCli, push: () => run('push') });

    step('12. A canary release followed with reconcile --wait: its stages, then a rollback by alarm (exit 3)');
    const canary = await canaryScene({
      say,
      io,
      simulator,
      repoDir,
      git,
      runCli,
      clients: cliClients,
      passTime: (milliseconds) => {
        clockOffset += milliseconds;
      },
      cliArgs: [...pauseArgs, '--lock-table', LOCK_TABLE, '--installation', INSTALLATION_ID],
    });

    step('13. GitHub: a signed push webhook rolls web out; a pull request gets its check run and comment');
    const tables = { dynamoDb: client, ledgerTable: LEDGER_TABLE, lockTable: LOCK_TABLE };
    const scene = { say, simulator, source, ledger, lock, now, installationId: INSTALLATION_ID, ...tables };
    const gitHub = await gitHubScene({ ...scene, eventBridge: capturingEventBus([]) });

    const expected =
      first.status === 'applied' &&
      second.status === 'applied' &&
      manual &&
      sweep.status === 'applied' &&
      adopted?.status === 'opened' &&
      adoptMerged.status === 'in-sync' &&
      (pausedSweep.driftHeld ?? []).includes('EcsService:prod/web') &&
      (pausedPush.driftHeld ?? []).includes('EcsService:prod/web') &&
      !pausedSweep.apply?.resources.some((resource) => resource.outcome === 'applied') &&
      !pausedPush.apply?.resources.some((resource) => resource.outcome === 'applied') &&
      healed.status === 'applied' &&
      broken.diagnostics.some((d) => d.severity === 'error') &&
      rollback.status === 'applied' &&
      referencesApplied &&
      proposal?.status === 'opened' &&
      (again.apply?.counts.skipped ?? 0) >= 1 &&
      gitHub &&
      imported &&
      canary;
    say(
      expected
        ? paint(
            io,
            'green',
            '\nDemo complete: created, rolled out, drift reverted, a hot-fix adopted into Git, a pause held and expired, a broken commit contained, rolled back, a service wired to stack outputs, a circuit-breaker rollback written back to Git, a hand-made service imported, a canary release followed to the end and another rolled back by its alarm, and a signed GitHub push rolled out and a pull request checked.',
          )
        : paint(io, 'red', '\nThe demo did not go as narrated; see the runs above.'),
    );
    return expected ? EXIT_OK : EXIT_INVALID;
  } finally {
    simulator.restore();
    await dynamo.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Ada Platform',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Platform',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** The demo's event bus: PutEvents answered in-process, each entry's detail type and proposal kept for printing. */
function capturingEventBus(published: string[]): EventBridgeClient {
  const bus = new EventBridgeClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const send = async (command: PutEventsCommand) => {
    const entries = command.input.Entries ?? [];
    for (const entry of entries) {
      const detail = JSON.parse(entry.Detail ?? '{}') as { rollbackProposal?: { status: string; branch?: string } };
      const proposal = detail.rollbackProposal;
      published.push(
        `${entry.DetailType}${proposal ? ` (rollback proposal ${proposal.status}: ${proposal.branch ?? ''})` : ''}`,
      );
    }
    return {
      FailedEntryCount: 0,
      Entries: entries.map((_, index) => ({ EventId: `demo-${published.length}-${index}` })),
    };
  };
  return Object.assign(bus, { send }) as EventBridgeClient;
}
