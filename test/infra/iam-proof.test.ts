/** IAM proven offline (ARCHITECTURE invariant 13): every AWS call the end-to-end function scenarios and the demo make
 * is recorded as the principal that makes it, turned into the authorization requests IAM makes for it, and decided
 * against the synthesized policies with an offline IAM policy simulator; each must be allowed. The same requests
 * aimed outside the deployment's targets must be denied, and every statement of every synthesized policy must be
 * able to match. The counts are printed at the end. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { demoCommand } from '../../cli/demo.ts';
import { run as runCli } from '../../cli/main.ts';
import { capture } from '../support/cli.ts';
import type { AuthorizedRequest } from '../support/iam/commands.ts';
import { asBreakGlass } from '../support/iam/demo.ts';
import {
  ACCOUNT,
  BREAK_GLASS,
  deployInstallation,
  type Installation,
  PARTITION,
  REGION,
} from '../support/iam/deployment.ts';
import { type Attributed, decideAll, proveConfined, requestsOf } from '../support/iam/proof.ts';
import { recorder } from '../support/iam/recorder.ts';
import { FAN_OUT_SCENARIOS, type Scenario, Scene, SINGLE_SWEEP_SCENARIOS } from '../support/iam/scenarios.ts';
import type { Verdict } from '../support/iam/simulate.ts';
import { checkStatements } from '../support/iam/statement-check.ts';

// Every SDK client records its calls; the demo's runs and handler are attributed to the function that would run them.
vi.mock('@aws-sdk/client-cloudformation', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-codecommit', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-dynamodb', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-ecs', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-eventbridge', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('@aws-sdk/client-sqs', async (original) =>
  (await import('../support/iam/recorder.ts')).recordingClients(await original()),
);
vi.mock('../../shared/reconcile/run.ts', async (original) => {
  const module = await original<typeof import('../../shared/reconcile/run.ts')>();
  const { attributedReconcile } = await import('../support/iam/demo.ts');
  return { ...module, reconcile: attributedReconcile(module.reconcile) };
});
vi.mock('../../functions/deployment-outcome.ts', async (original) => {
  const module = await original<typeof import('../../functions/deployment-outcome.ts')>();
  const { attributedDeploymentOutcome } = await import('../support/iam/demo.ts');
  return {
    ...module,
    createDeploymentOutcomeHandler: attributedDeploymentOutcome(module.createDeploymentOutcomeHandler),
  };
});

/** What the example repository's driftless.yaml allows, and the deployment that goes with it. */
const CONTEXT = {
  repository: 'platform-config',
  allowedClusters: 'prod,staging',
  stackNamePrefix: 'platform-',
  roleArnPatterns:
    'arn:aws:iam::123456789012:role/app/*,arn:aws:iam::123456789012:role/cloudformation/platform-deployer',
  readStacks: 'shared-dns',
  allowedResourceTypes: 'AWS::EC2::VPC,AWS::EC2::Subnet,AWS::EC2::SecurityGroup',
  installationId: 'demo',
} as const;

/** The three shapes of a deployment whose policies differ: pruning (listings granted), fan-out (queue, worker), and
 * neither (no listing granted at all). */
const DEPLOYMENTS = {
  pruning: { ...CONTEXT, prune: 'true' },
  fanOut: { ...CONTEXT, prune: 'true', sweepShardSize: '1', sweepWorkers: '2' },
  plain: { ...CONTEXT, prune: 'false' },
} as const;
type DeploymentName = keyof typeof DEPLOYMENTS;

const installations = {} as Record<DeploymentName, Installation>;
/** Table names the tests used → the installation's. */
const aliases = new Map<string, string>();
const allowed: Verdict[] = [];
const denied: Verdict[] = [];
let recordedCalls = 0;

/** Runs the scenarios in fresh worlds of `deployment`, and returns the requests their calls made. */
async function record(deployment: DeploymentName, scenarios: readonly Scenario[]): Promise<Attributed[]> {
  const installation = installations[deployment];
  const requests: Attributed[] = [];
  for (const scenario of scenarios) {
    recorder.clear();
    const scene = await Scene.open(installation, recorder, aliases);
    try {
      await scenario.run(scene);
    } finally {
      await scene.cleanup();
    }
    recordedCalls += recorder.calls.length;
    requests.push(...requestsOf(recorder.calls, installation, aliases));
  }
  return requests;
}

/** Decides `requests` in `deployment`, expecting each allowed; then expects their outside-the-targets variants denied. */
async function prove(deployment: DeploymentName, requests: readonly Attributed[]): Promise<void> {
  const verdicts = await proveConfined(installations[deployment], requests, { installationId: CONTEXT.installationId });
  allowed.push(...verdicts.allowed);
  denied.push(...verdicts.denied);
}

const principalsOf = (requests: readonly Attributed[]) => [...new Set(requests.map((item) => item.principal))].sort();
const passedTo = (requests: readonly Attributed[]) =>
  [...new Set(requests.map((item) => item.request.context['iam:PassedToService']).filter(Boolean))].sort();

/** What the function scenarios must exercise between them, for the proof to cover every kind of call. */
const EVERY_ACTION = [
  'ecs:DescribeServices',
  'ecs:DescribeTaskDefinition',
  'ecs:ListServices',
  'ecs:RegisterTaskDefinition',
  'ecs:CreateService',
  'ecs:UpdateService',
  'ecs:DeleteService',
  'ecs:TagResource',
  'cloudformation:DescribeStacks',
  'cloudformation:ListStacks',
  'cloudformation:GetTemplate',
  'cloudformation:CreateChangeSet',
  'cloudformation:DescribeChangeSet',
  'cloudformation:ExecuteChangeSet',
  'cloudformation:DeleteStack',
  'cloudformation:TagResource',
  'iam:PassRole',
  'codecommit:GetBranch',
  'codecommit:GetCommit',
  'codecommit:GetFolder',
  'codecommit:GetFile',
  'codecommit:GetDifferences',
  'codecommit:GetCommentsForPullRequest',
  'codecommit:PostCommentForPullRequest',
  'codecommit:UpdateComment',
  'codecommit:CreateBranch',
  'codecommit:CreateCommit',
  'codecommit:CreatePullRequest',
  'dynamodb:PutItem',
  'dynamodb:GetItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:Query',
  'events:PutEvents',
];

beforeAll(() => {
  for (const [name, context] of Object.entries(DEPLOYMENTS)) {
    installations[name as DeploymentName] = deployInstallation(context);
  }
  // The demo's own tables (cli/demo.ts) stand for the installation's; its calls are proven against that deployment.
  aliases.set('driftless-demo-ledger', installations.pruning.ledgerTable);
  aliases.set('driftless-demo-lock', installations.pruning.lockTable);
}, 60_000);

afterAll(async () => {
  // Every decision, for a reviewer who wants to read what exactly was allowed and denied (README).
  if (process.env.IAM_PROOF_DUMP) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.IAM_PROOF_DUMP, JSON.stringify({ allowed, denied }, null, 1));
  }
  const byPrincipal = (verdicts: readonly Verdict[]) => {
    const counts = new Map<string, number>();
    for (const verdict of verdicts) counts.set(verdict.principal, (counts.get(verdict.principal) ?? 0) + 1);
    return [...counts]
      .map(([principal, count]) => `${principal} ${count}`)
      .sort()
      .join(', ');
  };
  console.info(
    `IAM proof: ${recordedCalls} recorded calls; ${allowed.length} distinct requests allowed (${byPrincipal(allowed)}); ` +
      `${denied.length} requests outside the targets denied (${byPrincipal(denied)})`,
  );
});

describe('IAM proven offline', () => {
  it('has no statement that cannot match: every action exists and supports the condition keys it is given', async () => {
    // Act
    const problems = await Promise.all(
      Object.values(installations).map((installation) => checkStatements(installation.documents)),
    );

    // Assess
    expect(problems.flat().map(({ where, problem }) => `${where}: ${problem}`)).toEqual([]);
  });

  it('allows every call of the function scenarios to the function that makes it, and denies them outside the targets', async () => {
    // Act
    const requests = await record('pruning', SINGLE_SWEEP_SCENARIOS);

    // Assess: every kind of call the functions make was made (so the proof covers it), then each is decided.
    expect(principalsOf(requests)).toEqual(['deployment-outcome', 'manual-change', 'pull-request', 'push', 'sweep']);
    expect(requests.map((item) => item.request.action)).toEqual(expect.arrayContaining(EVERY_ACTION));
    expect(passedTo(requests)).toEqual([
      'cloudformation.amazonaws.com',
      'ecs-tasks.amazonaws.com',
      'ecs.amazonaws.com',
    ]);
    await prove('pruning', requests);
  }, 180_000);

  it('allows every call of a fanned-out sweep and its workers, and denies them outside the targets', async () => {
    // Act
    const requests = await record('fanOut', FAN_OUT_SCENARIOS);

    // Assess
    expect(principalsOf(requests)).toEqual(['push', 'sweep', 'sweep-shard']);
    expect(requests.map((item) => item.request.action)).toContain('sqs:SendMessage');
    await prove('fanOut', requests);
  }, 120_000);

  it('needs no listing where the deployment does not prune: the plain sweep and push are allowed without one', async () => {
    // Act
    const requests = await record('plain', SINGLE_SWEEP_SCENARIOS.slice(0, 2));

    // Assess
    const actions = requests.map((item) => item.request.action);
    expect(actions).not.toContain('ecs:ListServices');
    expect(actions).not.toContain('cloudformation:ListStacks');
    await prove('plain', requests);
  }, 120_000);

  it('allows every call the demo makes as the function (or break-glass user) that would make it', async () => {
    // Prepare
    recorder.clear();
    const io = capture();

    // Act
    const exitCode = await demoCommand(io, asBreakGlass(runCli));

    // Assess
    expect(exitCode, io.stdout()).toBe(0);
    recordedCalls += recorder.calls.length;
    const requests = requestsOf(recorder.calls, installations.pruning, aliases);
    expect(principalsOf(requests)).toEqual([BREAK_GLASS, 'deployment-outcome', 'manual-change', 'push', 'sweep']);
    await prove('pruning', requests);
  }, 120_000);

  it('reads stacks named in readStacks, and no other stack outside the prefix', async () => {
    // Prepare
    const stack = (name: string): AuthorizedRequest => ({
      action: 'cloudformation:DescribeStacks',
      resource: `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/1b2c3d4e-0000-4000-8000-000000000000`,
      context: {},
    });
    const reads = ['push', 'sweep', 'pull-request', BREAK_GLASS].flatMap((principal) => [
      { principal, request: stack('shared-dns') },
      { principal, request: stack('shared-dns-old') },
      { principal, request: stack('platform-network') },
    ]);

    // Act
    const verdicts = await decideAll(installations.pruning, reads);

    // Assess
    expect(
      verdicts.map((verdict) => [verdict.principal, verdict.request.resource.split('/')[1], verdict.decision]),
    ).toEqual(
      ['push', 'sweep', 'pull-request', BREAK_GLASS].flatMap((principal) => [
        [principal, 'shared-dns', 'Allowed'],
        [principal, 'shared-dns-old', 'ImplicitlyDenied'],
        [principal, 'platform-network', 'Allowed'],
      ]),
    );
  });
});
