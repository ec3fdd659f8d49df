/** The driftless command line: the same core as the Lambda functions, run from a laptop. */
import { Command, CommanderError, Option } from 'commander';
import { declarationJsonSchema } from '../shared/spec/json-schema.ts';
import { type AwsClients, planCommand } from './commands/plan.ts';
import { validateCommand } from './commands/validate.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, processIo } from './output.ts';

const VERSION = '0.1.0';

function repositoryOptions(command: Command): Command {
  return command
    .option('--repo <dir>', 'local git repository holding the configuration', '.')
    .option('--ref <ref>', 'branch, tag or commit to read (committed content only)', 'HEAD')
    .option('--path <prefix>', 'folder inside the repository that holds driftless.yaml', '');
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
        'Check every declaration at a commit: YAML, schema, targets allowed by driftless.yaml, secrets, ECS limits.\n' +
          'Reads Git objects only, makes no AWS call. Exit 0 valid (warnings allowed), 1 invalid or unreadable.',
      ),
  )
    .option('--json', 'print machine-readable output', false)
    .addHelpText(
      'after',
      '\nExamples:\n  driftless validate --repo ../platform-config\n  driftless validate --ref main --path ecs --json',
    )
    .action(async (options: { repo: string; ref: string; path: string; json: boolean }) => {
      exitCode = await validateCommand(options, io);
    });

  repositoryOptions(
    program
      .command('plan')
      .description(
        'Show what applying the repository would change, read against live ECS and CloudFormation state with your\n' +
          'AWS credentials (or any AWS-compatible endpoint). Changes nothing. Exit 0 in sync, 2 changes pending, 1 error.',
      ),
  )
    .option('--region <region>', 'AWS region (default: from AWS_REGION or your profile)')
    .option('--endpoint <url>', 'an AWS-compatible endpoint instead of AWS (default: DRIFTLESS_AWS_ENDPOINT)')
    .option('--installation <id>', 'installation id: also list resources it manages that Git no longer declares')
    .option('--json', 'print the plan as data', false)
    .option('--no-color', 'plain output, even on a terminal')
    .option('--verbose', 'list resources that are in sync too', false)
    .addHelpText(
      'after',
      '\nValues under secret-looking keys are masked; secrets[].valueFrom ARNs are shown.\n\nExamples:\n  driftless plan --repo ../platform-config --region eu-west-1\n  driftless plan --ref main --json > plan.json',
    )
    .action(
      async (options: {
        repo: string;
        ref: string;
        path: string;
        region?: string;
        endpoint?: string;
        installation?: string;
        json: boolean;
        color: boolean;
        verbose: boolean;
      }) => {
        exitCode = await planCommand(options, io, clients);
      },
    );

  program
    .command('schema')
    .description('Print the JSON Schema of the declaration format, for editors and other tools.')
    .addOption(new Option('--indent <n>', 'spaces of indentation').default(2).argParser((v) => Number.parseInt(v, 10)))
    .action((options: { indent: number }) => {
      io.out(`${JSON.stringify(declarationJsonSchema(), null, options.indent)}\n`);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_INVALID;
    }
    throw error;
  }
  return exitCode;
}
