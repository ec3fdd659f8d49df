/** Records every AWS SDK call driftless makes, with who makes it: each SDK client class is replaced (vi.mock of its
 * package, see recordingClients) by one whose `send` notes the command and its input before sending, whether the
 * client talks to DynamoDB Local, the simulator or aws-sdk-client-mock. A call counts only inside `as(principal)`:
 * the test's own set-up (tables, seeds) is nobody's. */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RecordedCall {
  /** The principal the call is made as: a function's name, or `break-glass`. */
  readonly principal: string;
  /** The client's service id: ECS, CloudFormation, DynamoDB, CodeCommit, EventBridge, SQS, STS. */
  readonly service: string;
  /** The command without its `Command` suffix: CreateService, PutItem… */
  readonly command: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The answer, once there is one (a refused call has none, and is still a call IAM authorizes). */
  output?: unknown;
}

type Send = (this: unknown, command: unknown, ...rest: unknown[]) => Promise<unknown>;

const RECORDING = Symbol('recording send');

export class CallRecorder {
  readonly calls: RecordedCall[] = [];
  private readonly principal = new AsyncLocalStorage<string>();
  private readonly wrapped = new WeakMap<Send, Send>();

  /** Runs `work` with every call it makes attributed to `principal`. */
  as<T>(principal: string, work: () => Promise<T>): Promise<T> {
    return this.principal.run(principal, work);
  }

  /** Like `as`, unless the work already runs as someone: a handler the proof calls as its function stays that. */
  asUnlessAttributed<T>(principal: string, work: () => Promise<T>): Promise<T> {
    return this.principal.getStore() === undefined ? this.as(principal, work) : work();
  }

  clear(): void {
    this.calls.length = 0;
  }

  /** `send` that records, then sends through whatever `send` the client has now (its own, or a mock's stub). */
  recordingSend(send: Send, serviceOf: (client: unknown) => string): Send {
    if ((send as Send & { [RECORDING]?: true })[RECORDING]) return send;
    const known = this.wrapped.get(send);
    if (known) return known;
    const recorder = this;
    const recording: Send = async function (this: unknown, command: unknown, ...rest: unknown[]) {
      const principal = recorder.principal.getStore();
      if (principal === undefined) return send.call(this, command, ...rest);
      const call: RecordedCall = {
        principal,
        service: serviceOf(this),
        command: (command as object).constructor.name.replace(/Command$/, ''),
        input: structuredClone((command as { input?: Record<string, unknown> }).input ?? {}),
      };
      recorder.calls.push(call);
      const output = await send.call(this, command, ...rest);
      call.output = output;
      return output;
    };
    Object.defineProperty(recording, RECORDING, { value: true });
    this.wrapped.set(send, recording);
    return recording;
  }
}

/** The one recorder of the test file: the client classes that vi.mock installs report to it. */
export const recorder = new CallRecorder();

type ClientClass = new (...args: never[]) => object;

function isClientClass(name: string, value: unknown): value is ClientClass {
  return (
    name.endsWith('Client') &&
    typeof value === 'function' &&
    typeof (value.prototype as { send?: unknown }).send === 'function'
  );
}

function serviceIdOf(client: unknown): string {
  const serviceId = (client as { config?: { serviceId?: unknown } }).config?.serviceId;
  if (typeof serviceId !== 'string') throw new Error('an SDK client without config.serviceId');
  return serviceId;
}

/**
 * An SDK package whose client classes record: each instance is a Proxy whose `send`, whatever it currently is (the
 * SDK's, a sinon stub aws-sdk-client-mock put there, or one assigned by hand), records before it runs. For
 * `vi.mock('@aws-sdk/client-ecs', async (original) => recordingClients(await original()))`.
 */
export function recordingClients<M extends Record<string, unknown>>(module: M): M {
  const replaced: Record<string, unknown> = { ...module };
  for (const [name, value] of Object.entries(module)) {
    if (!isClientClass(name, value)) continue;
    const Recording = class extends (value as new (...args: unknown[]) => object) {
      constructor(...args: unknown[]) {
        super(...args);
        // biome-ignore lint/correctness/noConstructorReturn: the instance must be the recording proxy itself.
        return new Proxy(this, {
          get(target, property, receiver) {
            const found = Reflect.get(target, property, receiver);
            return property === 'send' && typeof found === 'function'
              ? recorder.recordingSend(found as Send, serviceIdOf)
              : found;
          },
        });
      }
    };
    Object.defineProperty(Recording, 'name', { value: name });
    replaced[name] = Recording;
  }
  return replaced as M;
}
