/** One long-lived `git cat-file --batch` process that answers object reads in order, so reading a commit's files
 * costs one process instead of one (or two) per file. */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** What the process answered for one object name. */
export type BatchObject =
  | { readonly found: true; readonly type: string; readonly sizeBytes: number; readonly content?: Buffer }
  | { readonly found: false; readonly reason: string };

/** Why the process could not answer: it failed to start, exited, was killed, or stalled past the timeout. */
export interface BatchFailure {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stderr: string;
  readonly cause: unknown;
  readonly timedOut: boolean;
}

export class BatchProcessError extends Error {
  override readonly name = 'BatchProcessError';
  constructor(
    message: string,
    readonly failure: BatchFailure,
  ) {
    super(message, { cause: failure.cause });
  }
}

export interface CatFileBatchOptions {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Longest the process may go without answering a pending read before it is killed. */
  readonly timeoutMs: number;
  /** The process is ended after this long without a read, so an unclosed reader leaves nothing running. */
  readonly idleMs: number;
  /** Contents over this size are skipped in the stream, never held in memory; their header still answers. */
  readonly maxContentBytes: number;
}

interface Pending {
  readonly resolve: (object: BatchObject) => void;
  readonly reject: (error: Error) => void;
}

// Bounds what a malformed answer can make us buffer while looking for the end of a header line.
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_STDERR_BYTES = 16 * 1024;

/** A running cat-file --batch process; started on the first read, replaced after it dies, ended by close(). */
export class CatFileBatch {
  private process: RunningBatch | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: CatFileBatchOptions) {}

  /** The pid of the running process, if any: for diagnostics and for the tests that kill it. */
  get pid(): number | undefined {
    return this.process?.child.pid;
  }

  read(objectName: string): Promise<BatchObject> {
    // The protocol is one name per line.
    if (objectName.includes('\n') || objectName.includes('\0')) {
      return Promise.reject(new Error(`object name cannot be sent to cat-file --batch: ${JSON.stringify(objectName)}`));
    }
    if (this.closed) return Promise.reject(new Error('the git reader is closed'));
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.process === undefined || this.process.finished) {
      this.process = new RunningBatch(this.options, () => this.scheduleIdleEnd());
    }
    return this.process.request(objectName);
  }

  /** Refuses further reads and ends the process once it has answered the pending ones; resolves when it has exited. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const running = this.process;
    this.process = undefined;
    await running?.end();
  }

  private scheduleIdleEnd(): void {
    clearTimeout(this.idleTimer);
    const running = this.process;
    this.idleTimer = setTimeout(() => {
      if (this.process === running && running?.idle) {
        this.process = undefined;
        void running.end();
      }
    }, this.options.idleMs);
    this.idleTimer.unref();
  }
}

class RunningBatch {
  readonly child: ChildProcess;
  finished = false;
  private readonly pending: Pending[] = [];
  private stderr = '';
  private failure: BatchFailure | undefined;
  private readonly exited: Promise<void>;
  private stallTimer: NodeJS.Timeout | undefined;
  private timedOut = false;
  private endedByUs = false;

  // Parser state over the byte stream.
  private header: Buffer[] = [];
  private headerBytes = 0;
  private body: { object: BatchObject & { found: true }; buffer: Buffer; filled: number } | undefined;
  /** Bytes still to skip: the LF after a body, or an oversized body and its LF. */
  private skip = 0;

  constructor(
    private readonly options: CatFileBatchOptions,
    private readonly onIdle: () => void,
  ) {
    this.child = spawn('git', [...options.args, 'cat-file', '--batch'], {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let resolveExited: () => void = () => {};
    this.exited = new Promise((resolveExit) => {
      resolveExited = resolveExit;
    });
    this.child.on('error', (error) => {
      this.fail({ exitCode: undefined, signal: undefined, stderr: this.stderr, cause: error, timedOut: false });
      // A process that never started emits no 'close'.
      if (this.child.pid === undefined) resolveExited();
    });
    this.child.on('close', (code, signal) => {
      this.fail({
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        stderr: this.stderr,
        cause: new Error(`git cat-file --batch exited (${signal ?? code})`),
        timedOut: this.timedOut,
      });
      resolveExited();
    });
    // A closed pipe shows up as EPIPE here and as the exit above; the exit carries the useful detail.
    this.child.stdin?.on('error', () => {});
    this.child.stdout?.on('data', (chunk: Buffer) => this.consume(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      if (this.stderr.length < MAX_STDERR_BYTES) this.stderr += chunk.toString('utf8');
    });
    this.setReferenced(false);
  }

  get idle(): boolean {
    return this.pending.length === 0;
  }

  request(objectName: string): Promise<BatchObject> {
    return new Promise<BatchObject>((resolve, reject) => {
      if (this.failure) {
        reject(this.error(this.failure));
        return;
      }
      if (this.pending.length === 0) {
        this.setReferenced(true);
        this.armStallTimer();
      }
      this.pending.push({ resolve, reject });
      this.child.stdin?.write(`${objectName}\n`);
    });
  }

  /** Closing stdin lets git finish and exit on its own; a process that lingers is killed. */
  async end(): Promise<void> {
    this.endedByUs = true;
    this.child.stdin?.end();
    const lingering = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    lingering.unref();
    await this.exited;
    clearTimeout(lingering);
  }

  /** While a read is pending the process keeps Node alive (the read must finish); idle, it never does. */
  private setReferenced(referenced: boolean): void {
    // At run time the pipes are net.Sockets, which can be unreferenced like the process itself.
    const pipes = [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as (Socket | null)[];
    for (const handle of [this.child, ...pipes]) {
      if (referenced) handle?.ref();
      else handle?.unref();
    }
  }

  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, this.options.timeoutMs);
    this.stallTimer.unref();
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const skipped = Math.min(this.skip, chunk.length - offset);
        this.skip -= skipped;
        offset += skipped;
        continue;
      }
      if (this.body !== undefined) {
        const body = this.body;
        const wanted = body.object.sizeBytes - body.filled;
        const taken = Math.min(wanted, chunk.length - offset);
        body.buffer.set(chunk.subarray(offset, offset + taken), body.filled);
        body.filled += taken;
        offset += taken;
        if (body.filled === body.object.sizeBytes) {
          this.body = undefined;
          this.skip = 1;
          this.answer({ ...body.object, content: body.buffer });
        }
        continue;
      }
      const newline = chunk.indexOf(0x0a, offset);
      if (newline < 0) {
        this.header.push(chunk.subarray(offset));
        this.headerBytes += chunk.length - offset;
        if (this.headerBytes > MAX_HEADER_BYTES) this.protocolError('a header line without an end');
        return;
      }
      this.header.push(chunk.subarray(offset, newline));
      offset = newline + 1;
      const line = Buffer.concat(this.header).toString('utf8');
      this.header = [];
      this.headerBytes = 0;
      if (!this.startObject(line)) return;
    }
  }

  /** Reads a header line; false when the stream can no longer be trusted. */
  private startObject(line: string): boolean {
    // The object name may hold spaces, so the header is read from its end.
    const fields = line.split(' ');
    const last = fields.at(-1) ?? '';
    if (fields.length >= 2 && (last === 'missing' || last === 'ambiguous')) {
      this.answer({ found: false, reason: last });
      return true;
    }
    const sizeBytes = Number(last);
    const type = fields.at(-2);
    if (fields.length < 3 || type === undefined || !/^\d+$/.test(last) || !Number.isSafeInteger(sizeBytes)) {
      this.protocolError(`an unexpected header '${line}'`);
      return false;
    }
    const object = { found: true as const, type, sizeBytes };
    if (sizeBytes > this.options.maxContentBytes) {
      this.skip = sizeBytes + 1;
      this.answer(object);
      return true;
    }
    if (sizeBytes === 0) {
      this.skip = 1;
      this.answer({ ...object, content: Buffer.alloc(0) });
      return true;
    }
    this.body = { object, buffer: Buffer.allocUnsafe(sizeBytes), filled: 0 };
    return true;
  }

  private answer(object: BatchObject): void {
    const next = this.pending.shift();
    if (next === undefined) {
      this.protocolError('an answer nobody asked for');
      return;
    }
    next.resolve(object);
    if (this.pending.length > 0) {
      this.armStallTimer();
    } else {
      clearTimeout(this.stallTimer);
      this.setReferenced(false);
      this.onIdle();
    }
  }

  private protocolError(what: string): void {
    this.fail({
      exitCode: undefined,
      signal: undefined,
      stderr: this.stderr,
      cause: new Error(`git cat-file --batch sent ${what}`),
      timedOut: false,
    });
    this.child.kill('SIGKILL');
  }

  private fail(failure: BatchFailure): void {
    this.finished = true;
    clearTimeout(this.stallTimer);
    this.failure ??= failure;
    this.setReferenced(false);
    for (const waiting of this.pending.splice(0)) waiting.reject(this.error(this.failure));
  }

  private error(failure: BatchFailure): BatchProcessError {
    const how = failure.timedOut
      ? `stalled for ${this.options.timeoutMs} ms and was killed`
      : this.endedByUs
        ? 'was closed'
        : failure.signal !== undefined
          ? `was killed by ${failure.signal}`
          : failure.exitCode !== undefined
            ? `exited with ${failure.exitCode}`
            : 'failed';
    const detail = failure.stderr.trim() || (failure.cause instanceof Error ? failure.cause.message : '');
    return new BatchProcessError(`git cat-file --batch ${how}${detail === '' ? '' : `: ${detail}`}`, failure);
  }
}
