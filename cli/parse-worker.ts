/** A worker thread of cli/parse-pool.ts: parses and checks the declaration files it is sent, answering with data. */
import { parentPort } from 'node:worker_threads';
import { checkFile, type FileText, portableCheckedFile } from '../shared/spec/declaration-files.ts';
import type { InputLimits } from '../shared/spec/limits.ts';

export interface ParseRequest {
  readonly files: readonly FileText[];
  readonly limits: InputLimits;
}

parentPort?.on('message', ({ files, limits }: ParseRequest) => {
  parentPort?.postMessage(files.map(([path, text]) => portableCheckedFile(checkFile(path, text, limits))));
});
