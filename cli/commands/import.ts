/** `driftless import`: declarations written for services and stacks that already run, so adopting them needs no
 * hand-written YAML and the first plan after the commit is in sync. */

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DriftlessError } from '../../shared/errors.ts';
import { AccountInventory } from '../../shared/live/inventory.ts';
import type { Diagnostic } from '../../shared/spec/diagnostics.ts';
import type { FileEntry, RepositoryReader } from '../../shared/spec/files.ts';
import { declarationJsonSchema } from '../../shared/spec/json-schema.ts';
import { parseDeclarationFile } from '../../shared/spec/parse.ts';
import { loadRepository, SETTINGS_FILE_NAMES } from '../../shared/spec/repository.ts';
import {
  type ImportDecision,
  type ImportedResource,
  ImportUnreadableError,
  importService,
  importStack,
  importTargets,
  missingTargets,
  settingsText,
} from '../../shared/writeback/import.ts';
import { awsSetupProblem } from '../aws-setup.ts';
import { type AwsClients, awsClients } from '../context.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';

export interface ImportOptions {
  readonly cluster?: string;
  readonly service?: readonly string[];
  readonly all: boolean;
  readonly stack?: readonly string[];
  readonly out: string;
  readonly force: boolean;
  readonly writeWithoutSecrets: boolean;
  readonly region?: string;
  readonly endpoint?: string;
  readonly json: boolean;
}

/** What an import did, as --json prints it. */
export interface ImportSummary {
  readonly written: string[];
  /** Files that exist already and were left as they are (--force overwrites them). */
  readonly skipped: string[];
  /** Resources not written because their declaration would not validate, with why. */
  readonly invalid: { id: string; diagnostics: Diagnostic[] }[];
  readonly decisions: ImportDecision[];
  /** Asked for, but not found (or not readable now). */
  readonly missing: string[];
  /** Declaration files not written because a value had to be left out (--write-without-secrets writes them). */
  readonly heldBack: string[];
  /** driftless.yaml: written (only with a declaration beside it), or what the existing one lacks. */
  settings: { readonly written: boolean; readonly missing: string[] };
}

const SCHEMA_FILE = '.schema/driftless.schema.json';
/** Past this many services, reading them takes long enough to show a counter. */
const PROGRESS_THRESHOLD = 10;

export async function importCommand(options: ImportOptions, io: CliIo, clients: AwsClients = {}): Promise<number> {
  const usage = usageProblem(options);
  if (usage) {
    io.err(`${paint(io, 'red', 'error:')} ${usage}\n(run driftless import --help for usage)\n`);
    return EXIT_INVALID;
  }
  const aws = awsClients(options, clients);
  const inventory = new AccountInventory({
    ecs: aws.ecs,
    cloudFormation: aws.cloudFormation,
    ...(clients.autoScaling ? { autoScaling: clients.autoScaling } : {}),
  });
  const resources: ImportedResource[] = [];
  const missing: string[] = [];
  try {
    if (options.cluster !== undefined) {
      const names = options.all ? await inventory.serviceNames(options.cluster) : [...(options.service ?? [])];
      const showProgress = io.tty === true && !options.json && names.length > PROGRESS_THRESHOLD;
      const read = await inventory.readServices(options.cluster, names, (done, total) => {
        if (showProgress) io.err(`\rReading services: ${done}/${total}`);
      });
      if (showProgress) io.err('\n');
      missing.push(...read.missing.map((name) => `EcsService:${options.cluster}/${name}`));
      for (const live of read.services) {
        const scalableTarget = read.scalableTargets.get(live.name);
        resources.push(importService({ live, ...(scalableTarget ? { scalableTarget } : {}) }));
      }
    }
    if (options.stack && options.stack.length > 0) {
      const read = await inventory.readStacks(options.stack);
      missing.push(...read.missing.map((name) => `CloudFormationStack:${name}`));
      for (const live of read.stacks) {
        try {
          resources.push(importStack({ live }));
        } catch (error) {
          if (!(error instanceof ImportUnreadableError)) throw error;
          missing.push(error.message);
        }
      }
    }
  } catch (error) {
    if (!(error instanceof DriftlessError)) throw error;
    io.err(`${paint(io, 'red', 'error:')} cannot read live state: ${awsSetupProblem(error) ?? error.message}\n`);
    return EXIT_INVALID;
  }

  const targets = importTargets(options.cluster, resources);
  const generatedSettings = settingsText(targets);
  const invalid = await invalidResources(resources, generatedSettings);
  const summary: ImportSummary = {
    written: [],
    skipped: [],
    invalid: [...invalid.entries()].map(([id, diagnostics]) => ({ id, diagnostics })),
    decisions: resources.flatMap((resource) => resource.decisions),
    missing,
    heldBack: [],
    settings: await settingsOutcome(options, targets),
  };
  for (const resource of resources) {
    if (invalid.has(resource.id)) continue;
    // A declaration without a value live has would remove it at the first reconcile: written only when asked.
    const leftOut = resource.decisions.filter((decision) => decision.kind !== 'difference');
    if (leftOut.length > 0 && !options.writeWithoutSecrets) {
      summary.heldBack.push(resource.files[0]?.path ?? resource.id);
      continue;
    }
    const existing = [];
    for (const file of resource.files) if (await exists(join(options.out, file.path))) existing.push(file.path);
    if (existing.length > 0 && !options.force) {
      summary.skipped.push(...existing);
      continue;
    }
    for (const file of resource.files) {
      await writeText(join(options.out, file.path), file.content);
      summary.written.push(file.path);
    }
  }
  if (summary.settings.written && summary.written.length === 0) summary.settings = { written: false, missing: [] };
  if (summary.settings.written) {
    await writeText(join(options.out, SETTINGS_FILE_NAMES[0]), generatedSettings);
    summary.written.push(SETTINGS_FILE_NAMES[0]);
  }
  if (summary.written.length > 0 && !(await exists(join(options.out, SCHEMA_FILE)))) {
    await writeText(join(options.out, SCHEMA_FILE), `${JSON.stringify(declarationJsonSchema(), null, 2)}\n`);
    summary.written.push(SCHEMA_FILE);
  }

  if (options.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  else io.out(formatSummary(summary, io));
  return exitCode(summary, options);
}

function usageProblem(options: ImportOptions): string | undefined {
  const services = options.service ?? [];
  const stacks = options.stack ?? [];
  if (options.cluster === undefined && stacks.length === 0)
    return 'say what to import: --cluster C with --service S… or --all, and/or --stack NAME…';
  if (options.cluster !== undefined && services.length === 0 && !options.all)
    return `--cluster ${options.cluster}: name the services (--service S…) or import them all (--all)`;
  if (options.cluster === undefined && (services.length > 0 || options.all))
    return '--service and --all need --cluster';
  if (services.length > 0 && options.all) return '--service and --all: choose one';
  return undefined;
}

/** Decisions that stop the import from being complete: secrets and unreadable values may be waived by
 * --write-without-secrets; a difference the declaration cannot express may not. */
function exitCode(summary: ImportSummary, options: ImportOptions): number {
  const blocking = summary.decisions.filter(
    (decision) => decision.kind === 'difference' || !options.writeWithoutSecrets,
  );
  const incomplete =
    blocking.length > 0 ||
    summary.heldBack.length > 0 ||
    summary.skipped.length > 0 ||
    summary.invalid.length > 0 ||
    summary.missing.length > 0;
  return incomplete ? EXIT_INVALID : EXIT_OK;
}

/** Every imported file validated as the repository would validate it (with the Settings the import needs): a
 * resource any of whose files has an error is not written. */
async function invalidResources(
  resources: readonly ImportedResource[],
  settings: string,
): Promise<Map<string, Diagnostic[]>> {
  const files = new Map<string, string>([[SETTINGS_FILE_NAMES[0], settings]]);
  const owner = new Map<string, string>();
  for (const resource of resources) {
    for (const file of resource.files) {
      files.set(file.path, file.content);
      owner.set(file.path, resource.id);
    }
  }
  const snapshot = await loadRepository(memoryReader(files), { ref: 'import' });
  const invalid = new Map<string, Diagnostic[]>();
  for (const diagnostic of snapshot.diagnostics) {
    if (diagnostic.severity !== 'error') continue;
    const id = owner.get(diagnostic.file);
    if (id === undefined) continue;
    invalid.set(id, [...(invalid.get(id) ?? []), diagnostic]);
  }
  return invalid;
}

function memoryReader(files: ReadonlyMap<string, string>): RepositoryReader {
  const commit = '0'.repeat(40);
  const encoder = new TextEncoder();
  return {
    resolveRef: async () => commit,
    listFiles: async (): Promise<FileEntry[]> =>
      [...files.keys()].sort().map((path, index) => ({
        path,
        // Distinct ids: loaders may key caches by blob.
        blobId: index.toString(16).padStart(40, '0'),
        type: 'file' as const,
      })),
    readFile: async (_commit, path) => encoder.encode(files.get(path) ?? ''),
  };
}

async function settingsOutcome(
  options: ImportOptions,
  targets: ReturnType<typeof importTargets>,
): Promise<ImportSummary['settings']> {
  for (const name of SETTINGS_FILE_NAMES) {
    const path = join(options.out, name);
    if (!(await exists(path))) continue;
    const parsed = parseDeclarationFile(name, await readFile(path, 'utf8'));
    const settings = parsed.documents.find((document) => document.kind === 'Settings');
    if (settings?.kind !== 'Settings') {
      return { written: false, missing: [`${name} does not parse as Settings; run driftless validate`] };
    }
    return { written: false, missing: missingTargets(settings.document, targets) };
  }
  return { written: true, missing: [] };
}

function formatSummary(summary: ImportSummary, io: CliIo): string {
  const lines: string[] = [];
  for (const path of summary.written) lines.push(`${paint(io, 'green', 'wrote')}   ${path}`);
  for (const path of summary.skipped)
    lines.push(`${paint(io, 'yellow', 'skipped')} ${path}: exists (--force overwrites it)`);
  for (const { id, diagnostics } of summary.invalid) {
    lines.push(`${paint(io, 'red', 'not written')} ${id}: the declaration would not validate`);
    for (const d of diagnostics) lines.push(`  ${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
  }
  for (const path of summary.heldBack) {
    lines.push(
      `${paint(io, 'yellow', 'held back')} ${path}: a value was left out (see the decisions); --write-without-secrets writes it without`,
    );
  }
  for (const what of summary.missing) lines.push(`${paint(io, 'red', 'not found')} ${what}`);
  if (summary.settings.missing.length > 0) {
    lines.push('', `driftless.yaml exists; for the imported declarations to validate it needs:`);
    for (const line of summary.settings.missing) lines.push(`  ${line}`);
  }
  if (summary.decisions.length > 0) {
    lines.push('', `${paint(io, 'yellow', 'Decisions for you')} (${summary.decisions.length}):`);
    for (const decision of summary.decisions) lines.push(`  ${decision.file}: ${decision.message}`);
  }
  lines.push(
    '',
    `Imported: ${summary.written.length} files written, ${summary.skipped.length} skipped, ${summary.heldBack.length} held back, ${summary.invalid.length} not valid, ${summary.decisions.length} decisions.`,
  );
  if (summary.written.length > 0) {
    lines.push(
      'Next: review the files and the decisions, commit, then `driftless plan` should show everything in sync.',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeText(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}
