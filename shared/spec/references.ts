/** Cross-kind references: `${stack:<stack-name>.<OutputKey>}` inside a string of an EcsService spec names an output
 * of a CloudFormation stack, resolved at plan time. This finds them and checks their shape. Pure. */
import { type Diagnostic, diagnostic, type SourceLocation } from './diagnostics.ts';
import type { ParsedDocument, PathSegment } from './parse.ts';

const OPENING = '${stack:';
/** Stack names as CloudFormationStack declarations allow them; output keys are alphanumeric. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const OUTPUT_KEY = /^[A-Za-z0-9]{1,255}$/;

/** One `${stack:…}` found in a declaration. */
export interface StackReference {
  /** JSON pointer of the string holding it, from the declaration's root (`/spec/…`). */
  readonly path: string;
  /** The reference as written: `${stack:platform-network.PrivateSubnetAId}`. */
  readonly reference: string;
  readonly stack: string;
  readonly outputKey: string;
}

/** A reference with where it is written, kept on the declaration for plan-time diagnostics. */
export interface LocatedStackReference extends StackReference {
  readonly location: SourceLocation;
}

interface Found {
  readonly segments: readonly PathSegment[];
  readonly reference: string;
  readonly stack?: string;
  readonly outputKey?: string;
  /** Set when the reference is malformed. */
  readonly problem?: string;
}

/** True when `value` holds anything that starts like a stack reference. */
export function containsReference(value: string): boolean {
  return value.includes(OPENING);
}

/** The `${stack:…}` parts of one string, well-formed or not, in order. */
function scan(value: string): Omit<Found, 'segments'>[] {
  const found: Omit<Found, 'segments'>[] = [];
  let from = 0;
  for (;;) {
    const start = value.indexOf(OPENING, from);
    if (start === -1) return found;
    const end = value.indexOf('}', start);
    if (end === -1) {
      found.push({ reference: value.slice(start), problem: 'is not closed with "}"' });
      return found;
    }
    const reference = value.slice(start, end + 1);
    const inner = value.slice(start + OPENING.length, end);
    const dot = inner.lastIndexOf('.');
    const stack = dot === -1 ? inner : inner.slice(0, dot);
    const outputKey = dot === -1 ? '' : inner.slice(dot + 1);
    if (dot === -1) found.push({ reference, problem: 'names no output: write ${stack:<stack-name>.<OutputKey>}' });
    else if (!STACK_NAME.test(stack)) {
      found.push({
        reference,
        problem: `names stack "${stack}": stack names start with a letter and hold up to 128 letters, numbers and hyphens`,
      });
    } else if (!OUTPUT_KEY.test(outputKey)) {
      found.push({ reference, problem: `names output "${outputKey}": output keys are alphanumeric` });
    } else found.push({ reference, stack, outputKey });
    from = end + 1;
  }
}

/** One path array, extended and cut back in place and copied only where a reference is found: copying it at every
 * node of every spec was a measurable share of loading 10,000 declarations, which hold no reference at all. */
function walk(value: unknown, segments: PathSegment[], found: Found[]): void {
  if (typeof value === 'string') {
    if (!value.includes(OPENING)) return;
    for (const part of scan(value)) found.push({ ...part, segments: [...segments] });
  } else if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      segments.push(index);
      walk(value[index], segments, found);
      segments.pop();
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      segments.push(key);
      walk((value as Record<string, unknown>)[key], segments, found);
      segments.pop();
    }
  }
}

function pointer(segments: readonly PathSegment[]): string {
  return segments.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Every well-formed reference in an EcsService spec, located. */
export function locateReferences(spec: unknown, locate: ParsedDocument['locate']): LocatedStackReference[] {
  const found: Found[] = [];
  walk(spec, ['spec'], found);
  return found.flatMap((item) =>
    item.stack !== undefined && item.outputKey !== undefined
      ? [
          {
            path: pointer(item.segments),
            reference: item.reference,
            stack: item.stack,
            outputKey: item.outputKey,
            location: locate(item.segments),
          },
        ]
      : [],
  );
}

/** E_REFERENCE for each malformed reference in a service, and for any reference outside an EcsService. */
export function checkReferences(parsed: ParsedDocument): Diagnostic[] {
  const found: Found[] = [];
  if (parsed.kind === 'EcsService') {
    walk(parsed.document.spec, ['spec'], found);
    return found.flatMap((item) =>
      item.problem === undefined
        ? []
        : [diagnostic('E_REFERENCE', parsed.locate(item.segments), `reference ${item.reference} ${item.problem}`)],
    );
  }
  walk(parsed.document, [], found);
  return found.map((item) =>
    diagnostic(
      'E_REFERENCE',
      parsed.locate(item.segments),
      `${item.reference} in a ${parsed.kind}: references are resolved in EcsService declarations only`,
    ),
  );
}

/** Where a repository may read outputs from: stacks under its stack-name prefix, and the stacks it lists. */
export interface ReadableStacks {
  readonly stackNamePrefix: string;
  readonly readStacks: readonly string[];
}

/** True when a reference may read `stack`: one under the prefix, or one listed in readStacks. */
export function mayReadStack(stack: string, readable: ReadableStacks): boolean {
  return stack.startsWith(readable.stackNamePrefix) || readable.readStacks.includes(stack);
}

/** Why a reference may not read `stack`, for a diagnostic; `where` names whose limits these are. */
export function unreadableStack(reference: string, stack: string, readable: ReadableStacks, where: string): string {
  const listed = readable.readStacks.length > 0 ? readable.readStacks.join(', ') : 'none';
  return `${reference} may not read stack ${stack}: ${where} let references read only stacks under the prefix ${readable.stackNamePrefix} and those listed in readStacks (${listed})`;
}
