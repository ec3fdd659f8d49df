/** A worker thread of cli/parse-pool.ts: parses and checks the declaration files it is sent, answering with data. */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { checkFile, type FileText, portableCheckedFile } from '../shared/spec/declaration-files.ts';
import type { InputLimits } from '../shared/spec/limits.ts';
import { provideResourceSpec, resourceSpecFile } from '../shared/spec/resource-spec.ts';

export interface ParseRequest {
  readonly files: readonly FileText[];
  readonly limits: InputLimits;
}

// A worker is an entry point of its own: without this, every resource type a file names would be refused.
provideResourceSpec(() => readFileSync(resourceSpecFile()));

parentPort?.on('message', ({ files, limits }: ParseRequest) => {
  parentPort?.postMessage(files.map(([path, text]) => portableCheckedFile(checkFile(path, text, limits))));
});
