/** Reads fixture folders into the file maps that makeRepo commits. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FileChanges } from './git-repo.ts';

export const EXAMPLE_REPO_DIR = new URL('../../examples/config-repo/', import.meta.url).pathname;

/** Every file under `dir`, keyed by '/'-separated path relative to `dir`. */
export async function readTree(dir: string): Promise<FileChanges> {
  const files: FileChanges = {};
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path).split(sep).join('/')] = await readFile(path);
  }
  return files;
}
