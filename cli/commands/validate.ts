/** `driftless validate`: load a configuration repository at a commit and report every problem by file and line. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DriftlessError } from '../../shared/errors.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import type { Diagnostic } from '../../shared/spec/diagnostics.ts';
import { loadRepository, type RepositorySnapshot } from '../../shared/spec/repository.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, githubAnnotation, type OutputFormat, paint } from '../output.ts';
import { parsePool } from '../parse-pool.ts';

export interface ValidateOptions {
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly json: boolean;
  /** text (the default), json (what --json asks for) or github: workflow commands that annotate the pull request. */
  readonly format?: OutputFormat;
}

/** --json is the older spelling of --format json, and wins so that scripts written for it keep their output. */
export function outputFormat(options: { readonly json: boolean; readonly format?: OutputFormat }): OutputFormat {
  return options.json ? 'json' : (options.format ?? 'text');
}

export async function validateCommand(options: ValidateOptions, io: CliIo): Promise<number> {
  const format = outputFormat(options);
  const source = new LocalGitSource({ repoDir: options.repo });
  // Started before the load so the git status runs while the files are read.
  const uncommitted = format === 'text' ? hasUncommittedChanges(options.repo) : Promise.resolve(false);
  let snapshot: RepositorySnapshot;
  try {
    snapshot = await loadRepository(source, { ref: options.ref, prefix: options.path, checkFiles: parsePool() });
  } catch (error) {
    await uncommitted;
    return reportReadFailure(error, options, format, io);
  }
  if (format === 'json') {
    io.out(`${JSON.stringify(toJson(snapshot, options), null, 2)}\n`);
  } else if (format === 'github') {
    io.out(formatAnnotations(snapshot.diagnostics));
    io.out(summaryLine(snapshot, io));
  } else {
    if (await uncommitted) {
      io.err(`${paint(io, 'yellow', 'note:')} uncommitted changes are not validated; driftless reads commits only\n`);
    }
    io.out(formatSnapshot(snapshot, options, io));
  }
  return snapshot.pruneBlocked ? EXIT_INVALID : EXIT_OK;
}

/** Each finding as a GitHub Actions annotation. Diagnostics name files from the repository root (a --path prefix
 * included), which is where actions/checkout puts the repository, so the annotation lands on the right line. */
export function formatAnnotations(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) =>
      githubAnnotation({
        severity: d.severity === 'error' ? 'error' : 'warning',
        file: d.file,
        line: d.line,
        col: d.column,
        title: d.code,
        message: d.message,
      }),
    )
    .join('');
}

function reportReadFailure(error: unknown, options: ValidateOptions, format: OutputFormat, io: CliIo): number {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const what = `cannot read the repository at ${options.repo} (${options.ref}): ${message}`;
  if (format === 'json') {
    const retryable = error instanceof DriftlessError ? error.retryable : false;
    io.out(`${JSON.stringify({ valid: false, error: { name, message, retryable } }, null, 2)}\n`);
  } else if (format === 'github') {
    io.out(githubAnnotation({ severity: 'error', title: name, message: what }));
  } else {
    io.err(`${paint(io, 'red', 'error:')} ${what}\n`);
  }
  if (!(error instanceof DriftlessError)) throw error;
  return EXIT_INVALID;
}

function toJson(snapshot: RepositorySnapshot, options: ValidateOptions) {
  return {
    valid: !snapshot.pruneBlocked,
    ref: options.ref,
    commitId: snapshot.commitId,
    prefix: snapshot.prefix,
    files: snapshot.fileCount,
    declarations: snapshot.declarations.map((declaration) => ({
      id: declaration.id,
      kind: declaration.kind,
      file: declaration.location.file,
      line: declaration.location.line,
    })),
    errors: snapshot.diagnostics.filter((d) => d.severity === 'error').length,
    warnings: snapshot.diagnostics.filter((d) => d.severity === 'warning').length,
    diagnostics: snapshot.diagnostics,
  };
}

export function formatSnapshot(snapshot: RepositorySnapshot, options: ValidateOptions, io: CliIo): string {
  const lines: string[] = [];
  const where = snapshot.prefix === '' ? '' : ` under ${snapshot.prefix}/`;
  lines.push(
    `Validated ${options.ref} at ${snapshot.commitId.slice(0, 12)}${where}: ${snapshot.fileCount} declaration files`,
  );
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of snapshot.diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  for (const [file, diagnostics] of byFile) {
    lines.push('', paint(io, 'bold', file));
    for (const d of diagnostics) {
      const position = `${d.line}:${d.column}`.padEnd(8);
      const severity = d.severity === 'error' ? paint(io, 'red', 'error  ') : paint(io, 'yellow', 'warning');
      lines.push(`  ${position} ${severity}  ${d.code.padEnd(17)} ${d.message}`);
    }
  }
  lines.push('');
  return `${lines.join('\n')}\n${summaryLine(snapshot, io)}`;
}

/** The verdict: valid with counts, or how many errors in how many files and what that blocks. */
function summaryLine(snapshot: RepositorySnapshot, io: CliIo): string {
  const errors = snapshot.diagnostics.filter((d) => d.severity === 'error');
  const warnings = snapshot.diagnostics.length - errors.length;
  const counts = countByKind(snapshot);
  if (errors.length === 0) {
    const warned = warnings > 0 ? `, ${plural(warnings, 'warning')}` : '';
    return `${paint(io, 'green', '✓')} valid: ${plural(snapshot.declarations.length, 'declaration')} (${counts})${warned}\n`;
  }
  const failingFiles = new Set(errors.map((d) => d.file)).size;
  return (
    `${paint(io, 'red', '✗')} ${plural(errors.length, 'error')} in ${plural(failingFiles, 'file')}` +
    (warnings > 0 ? `, ${plural(warnings, 'warning')}` : '') +
    `: nothing is applied from a file with errors, and pruning is blocked. ${plural(snapshot.declarations.length, 'declaration')} valid (${counts}).\n`
  );
}

function countByKind(snapshot: RepositorySnapshot): string {
  const services = snapshot.declarations.filter((d) => d.kind === 'EcsService').length;
  const stacks = snapshot.declarations.length - services;
  return `${services} EcsService, ${stacks} CloudFormationStack`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

async function hasUncommittedChanges(repo: string): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no']);
    return stdout.trim() !== '';
  } catch {
    // A bare repository has no working tree to be dirty; anything else was already reported by the load.
    return false;
  }
}
