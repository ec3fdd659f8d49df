/** The driftless command line: the same core as the Lambda functions, run from a laptop. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../shared/audit/pauses.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';
import { patternProblem } from '../shared/spec/resource-types.ts';
import { awsSetupProblem } from './aws-setup.ts';
import type { AuditOptions } from './commands/audit.ts';
import type { ImportOptions } from './commands/import.ts';
import type { BreakGlassOptions, PauseOptions } from './commands/pause.ts';
import type { PlanOptions } from './commands/plan.ts';
import type { ReconcileOptions } from './commands/reconcile.ts';
import type { RollbackOptions } from './commands/rollback.ts';
import type { StatusOptions } from './commands/status.ts';
import type { ValidateOptions } from './commands/validate.ts';
import type { AwsClients } from './context.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, OUTPUT_FORMATS, processIo } from './output.ts';

// Each command's module (and with it the AWS SDK, zod, the YAML parser) is imported only when that command runs, so
// --help and --version answer without loading them; only what the option definitions need is imported above.

// Templates are checked against the resource specification index shipped beside the spec module (read on first use).
provideResourceSpec(() => readFileSync(resourceSpecFile()));

const VERSION = '0.1.0';
const DEFAULT_LEDGER_TABLE = 'driftless-ledger';
const DEFAULT_LOCK_TABLE = 'driftless-lock';
const DEFAULT_INSTALLATION_ID = 'default';

function repositoryOptions(command: Command): Command {
  return command
    .option('--repo <dir>', 'local git repository holding the configuration', '.')
    .option('--ref <ref>', 'branch, tag or commit to read (committed content only)', 'HEAD')
    .option('--path <prefix>', 'folder inside the repository that holds driftless.yaml', '');
}

/** `--allowed-resource-types`: a comma list of resource type patterns, each one the deployment would accept. */
function resourceTypeList(value: string): string[] {
  const patterns = value
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
  for (const pattern of patterns) {
    const problem = patternProblem(pattern);
    if (problem) throw new InvalidArgumentError(problem);
  }
  return patterns;
}

const ALLOWED_RESOURCE_TYPES = [
  '--allowed-resource-types <patterns>',
  "the deployment's allowedResourceTypes (comma list): refuse what the installation would refuse",
  resourceTypeList,
] as const;

/** Help text commander prints as given (addHelpText), wrapped as it wraps descriptions: at the terminal's width,
 * else 80 columns. */
function prose(text: string): string {
  return new Help().boxWrap(text, process.stdout.isTTY ? process.stdout.columns : 80);
}

/** `--format text|json|github`: how validation findings are printed. */
function formatOption(github: string): Option {
  return new Option('--format <format>', `text, json, or ${github}`).choices(OUTPUT_FORMATS).default('text');
}

/** `--timeout 10m`, `--poll-interval 90s`: a duration (s, m, h) in milliseconds. */
function durationOption(value: string): number {
  const milliseconds = parseDuration(value);
  if (milliseconds === undefined) throw new InvalidArgumentError('expected a duration such as 90s, 10m or 1h');
  return milliseconds;
}

/** Runs the CLI with `argv` (without node and script) and answers the exit code instead of exiting. */
export async function run(argv: readonly string[], io: CliIo = processIo(), clients: AwsClients = {}): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command()
    .name('driftless')
    .description(
      'GitOps for Amazon ECS and AWS CloudFormation: a Git repository is the source of truth for services and stacks.',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');

  repositoryOptions(
    program
      .command('validate')
      .description(
        'Check every declaration at a commit: YAML, schema, targets allowed by driftless.yaml, secrets, ECS limits. ' +
          'Reads Git objects only, makes no AWS call. Exit 0 valid (warnings allowed), 1 invalid or unreadable.',
      ),
  )
    .addOption(formatOption('github: GitHub Actions annotations on the files and lines of each finding'))
    .option('--json', 'print machine-readable output (same as --format json)', false)
    .addHelpText(
      'after',
      '\nExamples:\n  driftless validate --repo ../platform-config\n  driftless validate --ref main --path ecs --json\n' +
        '  driftless validate --format github  # in GitHub Actions: annotate the lines',
    )
    .action(async (options: ValidateOptions) => {
      const { validateCommand } = await import('./commands/validate.ts');
      exitCode = await validateCommand(options, io);
    });

  repositoryOptions(
    program
      .command('plan')
      .description(
        'Show what applying the repository would change, read against live ECS and CloudFormation state with your ' +
          'AWS credentials (or any AWS-compatible endpoint). Changes nothing. Exit 0 in sync, 2 changes pending, 1 error.',
      ),
  )
    .option('--region <region>', 'AWS region (default: from AWS_REGION or your profile)')
    .option('--endpoint <url>', 'an AWS-compatible endpoint instead of AWS (default: DRIFTLESS_AWS_ENDPOINT)')
    .option('--installation <id>', 'installation id: also list resources it manages that Git no longer declares')
    .option(...ALLOWED_RESOURCE_TYPES)
    .addOption(formatOption("github: the repository's findings as GitHub Actions annotations, then the plan"))
    .option('--json', 'print the plan as data (same as --format json)', false)
    .option('--no-color', 'plain output, even on a terminal')
    .option('--verbose', 'list resources that are in sync too', false)
    .addHelpText(
      'after',
      '\nValues under secret-looking keys are masked; secrets[].valueFrom ARNs are shown.\n\nExamples:\n  driftless plan --repo ../platform-config --region eu-west-1\n  driftless plan --ref main --json > plan.json',
    )
    .action(async (options: PlanOptions) => {
      const { planCommand } = await import('./commands/plan.ts');
      exitCode = await planCommand({ ...options, json: options.json || options.format === 'json' }, io, clients);
    });

  const awsOptions = (command: Command) =>
    command
      .option('--region <region>', 'AWS region (default: from AWS_REGION or your profile)')
      .option('--endpoint <url>', 'an AWS-compatible endpoint for every client (default: DRIFTLESS_AWS_ENDPOINT)')
      .option('--ledger-table <name>', 'DynamoDB table of the audit ledger', DEFAULT_LEDGER_TABLE);

  awsOptions(
    repositoryOptions(
      program
        .command('reconcile')
        .description(
          'One run: lock, read the branch head, plan, apply, and record an intent and an outcome in the audit ledger ' +
            'around every AWS write. Exit 0 applied, in sync, dry run or skipped (lock held); 2 held (changes left in ' +
            'place on purpose: a pause, a rolled-back commit, a drift policy, a stack still changing); 1 partial or failed. ' +
            'With --wait: 3 when a rollout the run started rolled back, failed or was superseded; 4 when --timeout passed first.',
        ),
    ),
  )
    .option('--lock-table <name>', 'DynamoDB table of the run lock', DEFAULT_LOCK_TABLE)
    .option('--installation <id>', 'installation id written on what driftless manages', DEFAULT_INSTALLATION_ID)
    .option('--dry-run', 'plan and record intents marked dry-run; make no AWS write', false)
    .option('--allow-empty', 'let a prune remove the last managed resource', false)
    .option(...ALLOWED_RESOURCE_TYPES)
    .option(
      '--create-tables',
      'create the ledger and lock tables if missing (emulators; in AWS the stack owns them)',
      false,
    )
    .option('--json', 'print the run as data', false)
    .option('--wait', 'follow the rollouts the run started until they finish (progress on a terminal)', false)
    .option('--timeout <duration>', 'how long --wait waits: 90s, 10m, 1h (default: 30m)', durationOption)
    .option('--poll-interval <duration>', 'how often --wait reads the rollouts (default: 10s)', durationOption)
    .addHelpText(
      'after',
      '\nExamples:\n  driftless reconcile --repo ../platform-config --wait\n  driftless reconcile --wait --timeout 10m  # exit 3 rolled back, 4 timed out',
    )
    .action(async (options: ReconcileOptions) => {
      const { reconcileCommand } = await import('./commands/reconcile.ts');
      exitCode = await reconcileCommand(options, io, clients);
    });

  awsOptions(
    repositoryOptions(
      program
        .command('status')
        .description(
          'Per resource: in sync or not (planned exactly as plan plans, stack references resolved), health, the last ' +
            "commit applied to it, each service's current rollout (strategy, stage, % of production traffic, since " +
            'when), and active break-glass pauses. Exit 0, or 1 when a declaration or reference has errors.',
        ),
    ),
  )
    .option('--json', 'print the statuses as data', false)
    .option('--repository <name>', 'the repository name the installation records (default: the folder name)')
    .action(async (options: StatusOptions) => {
      const { statusCommand } = await import('./commands/status.ts');
      exitCode = await statusCommand(options, io, clients);
    });

  awsOptions(
    program
      .command('audit')
      .description(
        "Read the audit ledger: one resource's history, one commit, a time window, or the failures; with --verify, " +
          'whether its hash chains still hold.',
      ),
  )
    .option('--resource <id>', 'one resource, e.g. EcsService:prod/web or CloudFormationStack:platform-network')
    .option('--commit <sha>', 'everything one commit did (the full 40-character sha)')
    .option('--since <when>', 'a time window: 30m, 1h, 7d or a date such as 2026-11-01 (default 24h)')
    .option('--failed', 'only failures, refusals and rollbacks', false)
    .option('--limit <n>', 'at most this many entries, newest kept', (value) => Number.parseInt(value, 10), 200)
    .option('--json', 'print the entries (with --verify, the verdicts) as data', false)
    .option(
      '--verify',
      'verify the hash chains: of --resource, of the partitions with entries --since, or (neither) of every partition',
      false,
    )
    .option('--clock-skew <duration>', "--verify: how far an entry's time may precede the one before it", '15m')
    .addHelpText(
      'after',
      `\n${prose(
        '--verify: every entry carries its sequence in its partition (one resource, or one run) and the hash of the ' +
          'entry before it, so an entry edited, deleted, reordered or inserted behind driftless breaks the chain. ' +
          'Per partition it prints OK and the head (sequence and hash: keep it, and a later verify proves nothing ' +
          'before it changed) or the first break: EDITED, DELETED, REORDERED or INSERTED. Entries written before the ' +
          'chain existed are counted as "before the chain began", not as breaks. The chain cannot show a rewrite of ' +
          'every hash after a change, nor the newest entries removed with their links: compare heads you kept, the ' +
          'ledger log lines, or the archive (deployment flag archiveLedger). Without --resource or --since it scans ' +
          'the table (dynamodb:Scan of the partition keys). Exit 0 when every chain holds, 1 when one is broken or ' +
          'the ledger cannot be read.',
      )}\n` +
        '\nExamples:\n  driftless audit --resource EcsService:prod/web\n  driftless audit --failed --since 7d\n' +
        '  driftless audit --verify --since 30d\n  driftless audit --verify --resource EcsService:prod/web --json',
    )
    .action(async (options: AuditOptions) => {
      const { auditCommand } = await import('./commands/audit.ts');
      exitCode = await auditCommand(options, io, clients);
    });

  awsOptions(
    repositoryOptions(
      program
        .command('pause')
        .argument(
          '<resource>',
          'a declared resource: EcsService:prod/web, CloudFormationStack:platform-network, or its name',
        )
        .description(
          'Break glass: for a while, drift on one resource is recorded but not reverted (nor adopted), and pushes to ' +
            'it are planned but not applied. The pause ends by itself; resume ends it early. Both are ledger entries ' +
            "with your identity (STS GetCallerIdentity; local:<user> with --endpoint). Needs the stack's pause policy.",
        ),
    ),
  )
    .requiredOption('--for <duration>', 'how long: 30m, 2h, 1d (at most 7d)')
    .requiredOption('--reason <text>', 'why, for whoever finds the pause (status, PR comments, the ledger)')
    .option('--repository <name>', 'the repository name the installation records (default: the folder name)')
    .option('--json', 'print the ledger entry as data', false)
    .addHelpText(
      'after',
      '\nExamples:\n  driftless pause web --for 2h --reason "INC-4411: hot-fix under investigation"\n' +
        '  driftless pause CloudFormationStack:platform-network --for 30m --reason "manual failover"\n' +
        '  driftless status    # lists active pauses: who, until when, why',
    )
    .action(async (resource: string, options: PauseOptions) => {
      const { pauseCommand } = await import('./commands/pause.ts');
      exitCode = await pauseCommand(resource, options, io, clients);
    });

  awsOptions(
    repositoryOptions(
      program
        .command('resume')
        .argument('<resource>', 'a declared resource, or its name')
        .description(
          'End a pause now: drift on the resource is handled by its drift policy again, and the next push applies.',
        ),
    ),
  )
    .option('--reason <text>', 'why it ends now', 'resumed')
    .option('--repository <name>', 'the repository name the installation records (default: the folder name)')
    .option('--json', 'print the ledger entry as data', false)
    .action(async (resource: string, options: BreakGlassOptions) => {
      const { resumeCommand } = await import('./commands/pause.ts');
      exitCode = await resumeCommand(resource, options, io, clients);
    });

  awsOptions(
    repositoryOptions(
      program
        .command('rollback')
        .argument('<resource>', 'EcsService:<cluster>/<service> or CloudFormationStack:<stack>')
        .description(
          "Propose a rollback in Git: a new branch (on CodeCommit, a pull request) from the tracked branch's head that " +
            "restores the resource's declaration file (and a stack's template) to its previous version. driftless never " +
            'merges it: a person does, and that merge is the new commit. It is the proposal a deployment rolled back by ' +
            'the circuit breaker (or CloudFormation) opens by itself. The previous version is --to, else the newest ' +
            'other commit the audit ledger records as deployed to the resource, else the parent of the commit rolled ' +
            'back. Nothing is proposed when a newer commit already changed those files. Exit 0 proposed (or proposed ' +
            'before), 1 nothing proposed or an error.',
        ),
    ),
  )
    .option('--to <sha>', 'restore the files as of this commit (any ref git or CodeCommit resolves)')
    .option(
      '--commit <sha>',
      'the commit being rolled back (default: the newest the ledger applied to the resource, else --ref)',
    )
    .option(
      '--codecommit <repository>',
      'propose a CodeCommit pull request in this repository instead of a local branch',
    )
    .option('--github <owner/name>', 'propose a GitHub pull request there (token in GITHUB_TOKEN)')
    .option('--github-api-url <url>', 'GitHub Enterprise Server API, e.g. https://github.example.com/api/v3')
    .option('--gitlab <project>', 'propose a GitLab merge request in this project path (token in GITLAB_TOKEN)')
    .option('--gitlab-url <url>', 'a self-managed GitLab, e.g. https://gitlab.example.com (default gitlab.com)')
    .option('--no-ledger', 'do not read the audit ledger (then --to is required)')
    .option('--json', 'print the result as data', false)
    .addHelpText(
      'after',
      `\n${prose('--ref names the branch the proposal targets (HEAD: the checked-out branch; on a host, default main).')}\n` +
        '\nExamples:\n' +
        '  driftless rollback EcsService:prod/web --repo ../platform-config\n' +
        '  driftless rollback EcsService:prod/web --repo . --to HEAD~1 --no-ledger\n' +
        '  driftless rollback CloudFormationStack:platform-network --codecommit platform-config --ref main\n' +
        '  GITHUB_TOKEN=… driftless rollback EcsService:prod/web --github acme/platform-config --ref main\n' +
        '  GITLAB_TOKEN=… driftless rollback EcsService:prod/web --gitlab acme/platform/config --ref main',
    )
    .action(async (resource: string, options: RollbackOptions) => {
      const { rollbackCommand } = await import('./commands/rollback.ts');
      exitCode = await rollbackCommand(resource, options, io, clients);
    });

  // ------------------------------------------------------------------------------------------ import
  program
    .command('import')
    .description(
      'Write declarations for services and stacks that already run: each service with the task definition ' +
        'revision it runs (an Application Auto Scaling target becomes `autoscaling`), each stack with its original ' +
        'template, parameters, tags and capabilities. Only what differs from what AWS fills in is written, so after ' +
        'a commit `driftless plan` shows them in sync and the first reconcile only tags them as managed. ' +
        'Secret-looking values are never written: they are left out and listed as decisions. Existing files are ' +
        'never overwritten without --force. Exit 0 when everything was written; 1 when a decision, a skipped file, ' +
        'a missing resource or an error remains.',
    )
    .option('--cluster <name>', 'the ECS cluster whose services to import')
    .option('--service <names...>', 'services to import (with --cluster)')
    .option('--all', 'every service of the cluster', false)
    .option('--stack <names...>', 'CloudFormation stacks to import')
    .option('--out <dir>', 'the configuration repository to write into', '.')
    .option('--force', 'overwrite files that exist', false)
    .option(
      '--write-without-secrets',
      'write declarations whose secret-looking (or NoEcho) values had to be left out; the decisions still list them',
      false,
    )
    .option('--region <region>', 'AWS region (default: from AWS_REGION or your profile)')
    .option('--endpoint <url>', 'an AWS-compatible endpoint instead of AWS (default: DRIFTLESS_AWS_ENDPOINT)')
    .option('--json', 'print the summary as data', false)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  driftless import --cluster prod --all --out ../platform-config\n' +
        '  driftless import --cluster prod --service web worker --stack platform-network\n' +
        '  driftless import --cluster prod --all --write-without-secrets --json > import.json',
    )
    .action(async (options: ImportOptions) => {
      const { importCommand } = await import('./commands/import.ts');
      exitCode = await importCommand(options, io, clients);
    });

  program
    .command('demo')
    .description(
      'The whole loop on this machine with no AWS account: DynamoDB Local for the ledger, a real git repository, ' +
        'and an in-memory ECS and CloudFormation. Creates, rolls out, reverts drift, adopts a hot-fix, honours a pause, ' +
        'contains a broken commit, rolls back.',
    )
    .action(async () => {
      // The demo runs on development dependencies (DynamoDB Local, the simulator's SDK mocks) that an installed
      // package leaves out: there it says where to run it instead of failing on a missing module.
      const demo = await import('./demo.ts').catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
        io.err(
          'error: driftless demo runs in a clone of the driftless repository, which has its development ' +
            'dependencies: there, npm ci && npm run demo (DynamoDB Local needs Java 17)\n',
        );
        return undefined;
      });
      exitCode = demo ? await demo.demoCommand(io, run) : EXIT_INVALID;
    });

  program
    .command('schema')
    .description('Print the JSON Schema of the declaration format, for editors and other tools.')
    .addOption(new Option('--indent <n>', 'spaces of indentation').default(2).argParser((v) => Number.parseInt(v, 10)))
    .action(async (options: { indent: number }) => {
      const { declarationJsonSchema } = await import('../shared/spec/json-schema.ts');
      io.out(`${JSON.stringify(declarationJsonSchema(), null, options.indent)}\n`);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_INVALID;
    }
    const setup = awsSetupProblem(error);
    if (setup !== undefined) {
      io.err(`error: ${setup}\n`);
      return EXIT_INVALID;
    }
    throw error;
  }
  return exitCode;
}
