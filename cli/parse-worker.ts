/** A worker thread of cli/parse-pool.ts: parses and checks the declaration files it is sent, answering with data. */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { checkFile, type FileText, portableCheckedFile } from '../shared/spec/declaration-files.ts';
import type { InputLimits } from '../shared/spec/limits.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';

// A worker is a module graph of its own: it checks templates against the index as the main thread does.
provideResourceSpec(() => readFileSync(resourceSpecFile()));

export interface ParseRequest {
  readonly files: readonly FileText[];
  readonly limits: InputLimits;
}

parentPort?.on('message', ({ files, limits }: ParseRequest) => {
  parentPort?.postMessage(files.map(([path, text]) => portableCheckedFile(checkFile(path, text, limits))));
});
