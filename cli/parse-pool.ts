/** Parses and checks a large repository's declaration files on every core: worker threads take chunks of files
 * while this thread takes chunks too, so the work starts before the workers have loaded. A small repository is
 * parsed here alone, since a worker costs more to start than a few hundred files cost to parse. */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type CheckedFile,
  checkFile,
  type FileChecker,
  type FileText,
  type PortableCheckedFile,
  restoreCheckedFile,
} from '../shared/spec/declaration-files.ts';
import type { InputLimits } from '../shared/spec/limits.ts';
import type { ParseRequest } from './parse-worker.ts';

export interface ParsePoolOptions {
  /** Fewer files than this are parsed in this thread alone. */
  readonly minFiles?: number;
  /** Worker threads beside this one; one less than the cores by default. */
  readonly workers?: number;
  /** Told, after each pooled run, where the files were parsed (tests and the bench look). */
  readonly onRun?: (run: PoolRun) => void;
}

export interface PoolRun {
  readonly filesOnWorkers: number;
  readonly filesHere: number;
  /** Workers that could not start or died; their files were parsed here instead. */
  readonly workerFailures: number;
}

const MIN_FILES = 1_000;
/** Small enough that this thread, parsing a chunk between answers, never keeps a worker waiting long. */
const CHUNK_FILES = 100;
const WORKER_NURSERY_MB = 16;
/** Requests outstanding per worker. */
const WORKER_QUEUE = 2;

export function parsePool(options: ParsePoolOptions = {}): FileChecker {
  const minFiles = options.minFiles ?? MIN_FILES;
  const workers = options.workers ?? availableParallelism() - 1;
  return (files, limits) =>
    files.length < minFiles || workers < 1
      ? checkHere(files, limits)
      : checkOnAllCores(files, limits, workers, options.onRun);
}

async function checkHere(files: readonly FileText[], limits: InputLimits): Promise<CheckedFile[]> {
  return files.map(([path, text]) => checkFile(path, text, limits));
}

async function checkOnAllCores(
  files: readonly FileText[],
  limits: InputLimits,
  workerCount: number,
  onRun: ParsePoolOptions['onRun'],
): Promise<CheckedFile[]> {
  const run = { filesOnWorkers: 0, filesHere: 0, workerFailures: 0 };
  const chunks: FileText[][] = [];
  for (let start = 0; start < files.length; start += CHUNK_FILES) chunks.push(files.slice(start, start + CHUNK_FILES));
  const results: CheckedFile[][] = [];
  let next = 0;
  const workers = Array.from({ length: Math.min(workerCount, chunks.length) }, () => new WorkerChannel(startWorker()));
  const lane = async (channel: WorkerChannel) => {
    while (next < chunks.length && !channel.failed) {
      const index = next++;
      const chunk = chunks[index]!;
      try {
        const answer = await channel.ask({ files: chunk, limits });
        results[index] = answer.map((portable, k) => restoreCheckedFile(chunk[k]![0], chunk[k]![1], limits, portable));
        run.filesOnWorkers += chunk.length;
      } catch {
        // A worker that cannot start (a bundle without the worker's file) or that died costs speed, never a result.
        if (!channel.failed) run.workerFailures += 1;
        channel.failed = true;
        results[index] = await checkHere(chunk, limits);
        run.filesHere += chunk.length;
        return;
      }
    }
  };
  // Two chunks asked of each worker at once: its next chunk waits in its queue while it parses one, since this
  // thread, parsing a chunk of its own, hears a worker's answer only between its chunks.
  const inWorker = (channel: WorkerChannel) => Promise.all(Array.from({ length: WORKER_QUEUE }, () => lane(channel)));
  const here = async () => {
    while (next < chunks.length) {
      const index = next++;
      results[index] = await checkHere(chunks[index]!, limits);
      run.filesHere += chunks[index]!.length;
      // Lets the workers' answers in, so each gets its next chunk without waiting for this thread to finish.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  try {
    await Promise.all([...workers.map(inWorker), here()]);
  } finally {
    await Promise.all(workers.map((channel) => channel.worker.terminate()));
  }
  onRun?.(run);
  return results.flat();
}

function startWorker(): Worker {
  const here = fileURLToPath(import.meta.url);
  const entry = new URL(`./parse-worker${extname(here)}`, import.meta.url).href;
  // Run from the TypeScript sources (tsx, vitest), the worker needs tsx's loader too; compiled, it needs nothing.
  const boot =
    extname(here) === '.ts'
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`
      : `import(${JSON.stringify(entry)});`;
  // A parse leaves only short-lived garbage: a smaller nursery than V8's default costs no measurable time and keeps
  // a 10,000-file validate well under its memory goal (peak RSS 250-260 MB against 270-300 MB, in one run).
  const worker = new Worker(boot, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: WORKER_NURSERY_MB } });
  // A failure is answered through WorkerChannel, whose listener also keeps it from being thrown from the event loop.
  return worker;
}

/** A worker's requests, answered in the order they were asked (the worker answers each message in turn). */
class WorkerChannel {
  private readonly waiting: { resolve: (answer: PortableCheckedFile[]) => void; reject: (error: Error) => void }[] = [];
  /** Set once a request failed: the worker's other requests fail too, and it is asked nothing more. */
  failed = false;

  constructor(readonly worker: Worker) {
    worker.on('message', (answer: PortableCheckedFile[]) => this.waiting.shift()?.resolve(answer));
    worker.on('error', (error: Error) => this.failAll(error));
    worker.on('exit', (code: number) => this.failAll(new Error(`the parse worker exited with code ${code}`)));
  }

  ask(request: ParseRequest): Promise<PortableCheckedFile[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(request);
    });
  }

  private failAll(error: Error): void {
    for (const request of this.waiting.splice(0)) request.reject(error);
  }
}
