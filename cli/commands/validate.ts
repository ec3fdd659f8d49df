/** `driftless validate`: load a configuration repository at a commit and report every problem by file and line. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DriftlessError } from '../../shared/errors.ts';
import { LocalGitSource } from '../../shared/source/local-git.ts';
import type { Diagnostic } from '../../shared/spec/diagnostics.ts';
import { loadRepository, type RepositorySnapshot } from '../../shared/spec/repository.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK, paint } from '../output.ts';

export interface ValidateOptions {
  readonly repo: string;
  readonly ref: string;
  readonly path: string;
  readonly json: boolean;
}

export async function validateCommand(options: ValidateOptions, io: CliIo): Promise<number> {
  const source = new LocalGitSource({ repoDir: options.repo });
  let snapshot: RepositorySnapshot;
  try {
    snapshot = await loadRepository(source, { ref: options.ref, prefix: options.path });
  } catch (error) {
    return reportReadFailure(error, options, io);
  }
  if (options.json) {
    io.out(`${JSON.stringify(toJson(snapshot, options), null, 2)}\n`);
  } else {
    if (await hasUncommittedChanges(options.repo)) {
      io.err(`${paint(io, 'yellow', 'note:')} uncommitted changes are not validated; driftless reads commits only\n`);
    }
    io.out(formatSnapshot(snapshot, options, io));
  }
  return snapshot.pruneBlocked ? EXIT_INVALID : EXIT_OK;
}

function reportReadFailure(error: unknown, options: ValidateOptions, io: CliIo): number {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (options.json) {
    const retryable = error instanceof DriftlessError ? error.retryable : false;
    io.out(`${JSON.stringify({ valid: false, error: { name, message, retryable } }, null, 2)}\n`);
  } else {
    io.err(
      `${paint(io, 'red', 'error:')} cannot read the repository at ${options.repo} (${options.ref}): ${message}\n`,
    );
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
  const errors = snapshot.diagnostics.filter((d) => d.severity === 'error');
  const warnings = snapshot.diagnostics.length - errors.length;
  const counts = countByKind(snapshot);
  lines.push('');
  if (errors.length === 0) {
    const warned = warnings > 0 ? `, ${plural(warnings, 'warning')}` : '';
    lines.push(
      `${paint(io, 'green', '✓')} valid: ${plural(snapshot.declarations.length, 'declaration')} (${counts})${warned}`,
    );
  } else {
    const failingFiles = new Set(errors.map((d) => d.file)).size;
    lines.push(
      `${paint(io, 'red', '✗')} ${plural(errors.length, 'error')} in ${plural(failingFiles, 'file')}` +
        (warnings > 0 ? `, ${plural(warnings, 'warning')}` : '') +
        `: nothing is applied from a file with errors, and pruning is blocked. ${plural(snapshot.declarations.length, 'declaration')} valid (${counts}).`,
    );
  }
  return `${lines.join('\n')}\n`;
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
