/** Resolves `${stack:<name>.<OutputKey>}` references in EcsService declarations from the stacks' outputs, and plans
 * with them: the substituted declarations are what the plan diffs and the executor applies, a service runs after
 * the stacks it references and waits while one of them has an operation pending, and a reference that names no
 * existing output is an E_REFERENCE error at its file:line (the service is left out). Pure. */
import { globToRegExp } from '../spec/checks.ts';
import { compareDiagnostics, type Diagnostic, diagnostic } from '../spec/diagnostics.ts';
import { type LocatedStackReference, mayReadStack, type ReadableStacks, unreadableStack } from '../spec/references.ts';
import type { Declaration, EcsServiceDeclaration, RepositorySnapshot } from '../spec/repository.ts';
import {
  buildPlan,
  type Plan,
  type PlanInput,
  type ResolvedReference,
  type ServiceReferences,
  waveOf,
} from './plan.ts';

/** What DescribeStacks says of a referenced stack. */
export interface StackOutputs {
  readonly status: string;
  /** OutputKey → OutputValue. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Stack name → its outputs; undefined when the stack does not exist. */
export type ReferencedStacks = ReadonlyMap<string, StackOutputs | undefined>;

export interface ReferencePlanInput extends Omit<PlanInput, 'references'> {
  /** Every stack a service references (declared or not). */
  readonly stacks: ReferencedStacks;
}

export interface ReferencePlan {
  readonly plan: Plan;
  /** The snapshot the plan was made from, and the one to apply: references substituted, services whose references
   * did not resolve left out (their errors block pruning, as any declaration error does). */
  readonly snapshot: RepositorySnapshot;
  /** The errors resolution found (they are in snapshot.diagnostics as well). */
  readonly diagnostics: readonly Diagnostic[];
}

/** Fields that name an IAM role ECS passes: a resolved value there must match targets.roleArnPatterns. The service's
 * own roles (lifecycle hooks, advancedConfiguration, managed EBS volumes, VPC Lattice, Service Connect TLS) are
 * always a `roleArn` member (shared/spec/deployment-checks.ts serviceRoleArns). */
const ROLE_FIELD = /^\/spec\/(taskDefinition\/(taskRoleArn|executionRoleArn)|(?!taskDefinition\/).*\/roleArn)$/;
const REFERENCE = /\$\{stack:([A-Za-z][A-Za-z0-9-]{0,127})\.([A-Za-z0-9]{1,255})\}/g;
/** No stack name starts with a control character: with this, no stack may be read. */
const NOTHING_READABLE: ReadableStacks = { stackNamePrefix: '\u0000', readStacks: [] };
/** A stack whose outputs can still change in this plan. */
const PENDING = new Set(['create', 'update', 'wait', 'replace-required', 'register-task-definition']);

/** The names of the stacks the snapshot's services reference and Settings let them read: no other stack is ever
 * described. */
export function referencedStackNames(snapshot: RepositorySnapshot): string[] {
  const readable = readableStacksOf(snapshot);
  const names = new Set<string>();
  for (const declaration of snapshot.declarations) {
    if (declaration.kind !== 'EcsService') continue;
    for (const reference of declaration.references ?? []) {
      if (mayReadStack(reference.stack, readable)) names.add(reference.stack);
    }
  }
  return [...names].sort();
}

/** What Settings let references read; without Settings (no declaration then), nothing. */
function readableStacksOf(snapshot: RepositorySnapshot): ReadableStacks {
  return snapshot.settings?.document.spec.targets ?? NOTHING_READABLE;
}

/** The outputs of a DescribeStacks `Stacks[]` item (as JSON). */
export function stackOutputsOf(stack: Record<string, unknown>): StackOutputs {
  const outputs: Record<string, string> = {};
  for (const output of Array.isArray(stack.Outputs) ? stack.Outputs : []) {
    const { OutputKey: key, OutputValue: value } = (output ?? {}) as { OutputKey?: unknown; OutputValue?: unknown };
    if (typeof key === 'string' && typeof value === 'string') outputs[key] = value;
  }
  return { status: String(stack.StackStatus ?? ''), outputs };
}

export function planWithReferences(input: ReferencePlanInput): ReferencePlan {
  const { snapshot } = input;
  const services = snapshot.declarations.filter(
    (declaration): declaration is EcsServiceDeclaration =>
      declaration.kind === 'EcsService' && (declaration.references?.length ?? 0) > 0,
  );
  if (services.length === 0) return { plan: buildPlan(input), snapshot, diagnostics: [] };

  const declaredStacks = new Map<string, Declaration>(
    snapshot.declarations.flatMap((declaration) =>
      declaration.kind === 'CloudFormationStack' ? [[declaration.document.metadata.name, declaration] as const] : [],
    ),
  );
  // Stacks plan on their own: their actions say which outputs may still change.
  const stackPlan = buildPlan({
    snapshot: { ...snapshot, declarations: [...declaredStacks.values()] },
    live: input.live,
  });
  const pending = new Set(
    stackPlan.actions
      .filter((action) => PENDING.has(action.type))
      .map((action) => action.id.slice('CloudFormationStack:'.length)),
  );
  const rolePatterns = (snapshot.settings?.document.spec.targets.roleArnPatterns ?? []).map(globToRegExp);
  const allowedRoles = snapshot.settings?.document.spec.targets.roleArnPatterns.join(', ') || 'none are allowed';
  const readable = readableStacksOf(snapshot);

  const errors: Diagnostic[] = [];
  const references = new Map<string, ServiceReferences>();
  const replaced = new Map<string, EcsServiceDeclaration | undefined>();
  for (const service of services) {
    const located = service.references ?? [];
    const waitsFor = [...new Set(located.map((reference) => reference.stack).filter((name) => pending.has(name)))];
    const found: Diagnostic[] = [];
    const values = new Map<string, string>();
    for (const reference of located) {
      if (!mayReadStack(reference.stack, readable)) {
        found.push(
          diagnostic(
            'E_REFERENCE',
            reference.location,
            unreadableStack(reference.reference, reference.stack, readable, 'Settings (targets)'),
          ),
        );
        continue;
      }
      const value = lookUp(reference, input.stacks);
      if (value.ok) values.set(`${reference.stack}.${reference.outputKey}`, value.value);
      else if (!pending.has(reference.stack)) found.push(diagnostic('E_REFERENCE', reference.location, value.why));
    }
    const complete = values.size === new Set(located.map((r) => `${r.stack}.${r.outputKey}`)).size;
    const resolved: ResolvedReference[] = located.flatMap(({ location: _location, ...reference }) => {
      const value = values.get(`${reference.stack}.${reference.outputKey}`);
      return value === undefined ? [] : [{ ...reference, value }];
    });
    const spec = complete ? substitute(service.document.spec, values) : service.document.spec;
    if (complete) {
      const roleReferences = located.filter((reference) => ROLE_FIELD.test(reference.path));
      // One finding per field, at its first reference, however many references build the ARN.
      const firstPerField = roleReferences.filter(
        (reference, index) => roleReferences.findIndex((other) => other.path === reference.path) === index,
      );
      for (const at of firstPerField) {
        const field = at.path;
        const arn = valueAt(spec, field);
        if (typeof arn === 'string' && !rolePatterns.some((pattern) => pattern.test(arn))) {
          found.push(
            diagnostic(
              'E_ROLE',
              at.location,
              `${field.slice(field.lastIndexOf('/') + 1)} ${arn} (from ${at.reference}) does not match an allowed role ARN pattern in Settings (targets.roleArnPatterns: ${allowedRoles})`,
            ),
          );
        }
      }
    }
    if (found.length > 0) {
      errors.push(...found);
      replaced.set(service.id, undefined);
      continue;
    }
    const minimumWave = Math.max(
      0,
      ...located.flatMap((reference) => {
        const stack = declaredStacks.get(reference.stack);
        return stack ? [waveOf(stack) + 1] : [];
      }),
    );
    references.set(service.id, { resolved, waitsFor, minimumWave, complete });
    replaced.set(service.id, {
      ...service,
      document: { ...service.document, spec: spec as EcsServiceDeclaration['document']['spec'] },
    });
  }

  const declarations = snapshot.declarations.flatMap((declaration) => {
    if (!replaced.has(declaration.id)) return [declaration];
    const replacement = replaced.get(declaration.id);
    return replacement ? [replacement] : [];
  });
  const resolvedSnapshot: RepositorySnapshot = {
    ...snapshot,
    declarations,
    diagnostics: [...snapshot.diagnostics, ...errors].sort(compareDiagnostics),
    pruneBlocked: snapshot.pruneBlocked || errors.length > 0,
  };
  const plan = buildPlan({ ...input, snapshot: resolvedSnapshot, references });
  return { plan, snapshot: resolvedSnapshot, diagnostics: errors.sort(compareDiagnostics) };
}

function lookUp(
  reference: LocatedStackReference,
  stacks: ReferencedStacks,
): { ok: true; value: string } | { ok: false; why: string } {
  const stack = stacks.get(reference.stack);
  if (!stack) {
    return { ok: false, why: `${reference.reference}: stack ${reference.stack} does not exist` };
  }
  const value = stack.outputs[reference.outputKey];
  if (value !== undefined) return { ok: true, value };
  const keys = Object.keys(stack.outputs).sort();
  const has = keys.length > 0 ? `its outputs: ${keys.join(', ')}` : 'it has no outputs';
  return {
    ok: false,
    why: `${reference.reference}: stack ${reference.stack} (${stack.status}) has no output ${reference.outputKey} (${has})`,
  };
}

/** A copy of `value` with every reference replaced by its output's value. */
function substitute(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (whole, stack: string, key: string) => values.get(`${stack}.${key}`) ?? whole);
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, substitute(child, values)]));
  }
  return value;
}

function valueAt(root: unknown, pointer: string): unknown {
  let node: unknown = { spec: root };
  for (const segment of pointer.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}
