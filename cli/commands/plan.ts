/** `driftless plan`: what would change if the repository were applied now, read against live AWS state. */
import { DriftlessError } from '../../shared/errors.ts';
import type { Plan } from '../../shared/plan/plan.ts';
import { renderPlan } from '../../shared/plan/render.ts';
import { confine } from '../../shared/reconcile/confine.ts';
import { liveReadersOf, loadConfined, planAgainstLive } from '../../shared/reconcile/plan-run.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import type { Diagnostic } from '../../shared/spec/diagnostics.ts';
import type { RepositorySnapshot } from '../../shared/spec/repository.ts';
import { awsSetupProblem } from '../aws-setup.ts';
import { type AwsClients, awsClients } from '../context.ts';
import { deploymentHome, deploymentTypes } from '../identity.ts';
import { type CliIo, EXIT_CHANGES, EXIT_INVALID, EXIT_OK, type OutputFormat, paint } from '../output.ts';
import { parsePool } from '../parse-pool.ts';
import { formatAnnotations, formatSnapshot, outputFormat } from './validate.ts';

export interface PlanOptions {
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly installation?: string;
  /** The deployment's resource type patterns (--allowed-resource-types). */
  readonly allowedResourceTypes?: readonly string[];
  readonly json: boolean;
  /** github prints the findings as GitHub Actions annotations; the plan itself stays text. */
  readonly format?: OutputFormat;
  readonly color: boolean;
  readonly verbose: boolean;
}

/** Past this many resources, reading takes long enough to say so. */
const PROGRESS_THRESHOLD = 36;

export async function planCommand(options: PlanOptions, io: CliIo, clients: AwsClients = {}): Promise<number> {
  const cliIo = { ...io, color: io.color && options.color };
  let snapshot: RepositorySnapshot;
  try {
    snapshot = await loadConfined(new LocalGitSource({ repoDir: options.repo }), {
      ref: options.ref,
      prefix: options.path,
      checkFiles: parsePool(),
    });
  } catch (error) {
    return failure(error, `cannot read the repository at ${options.repo} (${options.ref})`, options, cliIo);
  }
  const aws = awsClients(options, clients);
  if (!snapshot.pruneBlocked) {
    try {
      snapshot = confine(snapshot, {
        ...(await deploymentHome(options, clients, aws.ecs)),
        ...deploymentTypes(options),
      });
    } catch (error) {
      return failure(error, 'cannot learn where this deploys', options, cliIo);
    }
  }
  if (snapshot.pruneBlocked) {
    // Nothing reaches AWS from a repository with errors: a target outside the allowlist must never be read or touched.
    if (options.json) {
      io.out(`${JSON.stringify({ valid: false, diagnostics: snapshot.diagnostics }, null, 2)}\n`);
    } else if (outputFormat(options) === 'github') {
      io.out(formatAnnotations(snapshot.diagnostics));
      io.out('No plan: fix the errors first (run driftless validate to check again).\n');
    } else {
      io.out(formatSnapshot(snapshot, { ...options, json: false }, cliIo));
      io.out('No plan: fix the errors above first (run driftless validate to check again).\n');
    }
    return EXIT_INVALID;
  }

  const readers = liveReadersOf({
    ...aws,
    ...(clients.ecsReadRates ? { ecsReadRates: clients.ecsReadRates } : {}),
  });
  const resourceCount = snapshot.declarations.length;
  if (resourceCount > PROGRESS_THRESHOLD && process.stderr.isTTY && !options.json) {
    io.err(`Reading live state of ${resourceCount} resources…\n`);
  }
  let plan: Plan;
  let missingClusters: readonly string[];
  let referenceErrors: readonly Diagnostic[];
  try {
    const live = await planAgainstLive(
      snapshot,
      readers,
      options.installation ? { installationId: options.installation } : {},
    );
    missingClusters = live.missingClusters;
    plan = live.plan;
    referenceErrors = live.diagnostics;
  } catch (error) {
    return failure(error, 'cannot read live state', options, cliIo);
  }

  if (options.json) {
    io.out(
      `${JSON.stringify({ valid: referenceErrors.length === 0, ...plan, missingClusters, diagnostics: referenceErrors }, null, 2)}\n`,
    );
  } else {
    const header = `Plan for ${options.ref} at ${snapshot.commitId.slice(0, 12)}: ${snapshot.declarations.length} declarations`;
    io.out(`${header}\n\n`);
    for (const cluster of missingClusters) {
      io.out(
        `${paint(cliIo, 'yellow', 'note:')} cluster ${cluster} does not exist; its services are planned as creates\n\n`,
      );
    }
    io.out(renderPlan(plan, { paint: (style, text) => paint(cliIo, style, text), verbose: options.verbose }));
    if (referenceErrors.length > 0) {
      // Found only against live state: a reference to a stack output that does not exist. Its service is not planned.
      io.out('\n');
      if (outputFormat(options) === 'github') io.out(formatAnnotations(referenceErrors));
      else {
        for (const d of referenceErrors) {
          io.out(`${paint(cliIo, 'red', 'error')} ${d.file}:${d.line}:${d.column} ${d.code} ${d.message}\n`);
        }
      }
      io.out(
        `${referenceErrors.length === 1 ? 'That service is' : 'Those services are'} not planned; pruning is blocked.\n`,
      );
    }
  }
  if (referenceErrors.length > 0) return EXIT_INVALID;
  return plan.hasChanges ? EXIT_CHANGES : EXIT_OK;
}

function failure(error: unknown, what: string, options: PlanOptions, io: CliIo): number {
  const setup = awsSetupProblem(error);
  if (setup !== undefined) {
    // Not a bug and not worth a retry: say what to set, without the wrapped SDK message or a stack.
    if (options.json) {
      io.out(
        `${JSON.stringify({ valid: false, error: { name: 'AwsSetupError', message: setup, retryable: false } }, null, 2)}\n`,
      );
    } else io.err(`${paint(io, 'red', 'error:')} ${what}: ${setup}\n`);
    return EXIT_INVALID;
  }
  if (!(error instanceof DriftlessError)) throw error;
  if (options.json) {
    io.out(
      `${JSON.stringify({ valid: false, error: { name: error.name, message: error.message, retryable: error.retryable } }, null, 2)}\n`,
    );
  } else {
    io.err(`${paint(io, 'red', 'error:')} ${what}: ${error.message}${error.retryable ? ' (retrying may help)' : ''}\n`);
  }
  return EXIT_INVALID;
}
