/** Walks the operation schemas that @aws-sdk/client-ecs ships (schemas_0.js: `[3, ns, name, traits, names[],
 * members[]]` structures, `[1, ns, name, traits, member]` lists, `[2, …, key, value]` maps, numbers for simple types)
 * and a zod schema in parallel, listing every member path at every depth, so tests can compare what ECS takes with
 * what a declaration accepts. */
import type { ZodType } from 'zod';

/** What a member is: its children decide how the path goes on. */
export type MemberKind = 'scalar' | 'structure' | 'list' | 'map' | 'document';
/** Member path (`a.b[].c`) → kind. */
export type MemberMap = Map<string, MemberKind>;

const STRUCTURE = 3;
const UNION = 4;
const LIST = 1;
const MAP = 2;
const DOCUMENT = 15;
// Simple list and map schemas are bit flags over the member's simple type.
const SIMPLE_LIST = 64;
const SIMPLE_MAP = 128;

type SdkSchema = unknown;

function resolved(schema: SdkSchema): SdkSchema {
  let current = typeof schema === 'function' ? (schema as () => unknown)() : schema;
  // A member with traits is written [schema, traits].
  while (Array.isArray(current) && current.length === 2) {
    current = typeof current[0] === 'function' ? (current[0] as () => unknown)() : current[0];
  }
  return current;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** Every member path under an SDK structure schema, e.g. `deploymentConfiguration.lifecycleHooks[].roleArn`. */
export function sdkMembers(schema: SdkSchema, prefix = ''): MemberMap {
  const members: MemberMap = new Map();
  const visit = (node: SdkSchema, path: string, seen: readonly unknown[]): void => {
    const value = resolved(node);
    if (typeof value === 'number') {
      if (value === DOCUMENT) members.set(path, 'document');
      else if (value >= SIMPLE_MAP) members.set(path, 'map');
      else if (value >= SIMPLE_LIST) members.set(path, 'list');
      else members.set(path, 'scalar');
      return;
    }
    if (!Array.isArray(value)) throw new Error(`unknown SDK schema at ${path}: ${String(value)}`);
    const [kind] = value;
    if (kind === STRUCTURE || kind === UNION) {
      if (seen.includes(value)) throw new Error(`recursive SDK schema at ${path}`);
      if (path !== prefix) members.set(path, 'structure');
      const names = value[4] as string[];
      const schemas = value[5] as SdkSchema[];
      names.forEach((name, index) => {
        visit(schemas[index], join(path, name), [...seen, value]);
      });
    } else if (kind === LIST) {
      members.set(path, 'list');
      visit(value[4], `${path}[]`, seen);
    } else if (kind === MAP) {
      members.set(path, 'map');
    } else {
      members.set(path, 'scalar');
    }
  };
  visit(schema, prefix, []);
  return members;
}

interface ZodDef {
  readonly type: string;
  readonly innerType?: ZodType;
  readonly element?: ZodType;
  readonly shape?: Record<string, ZodType>;
  readonly options?: readonly ZodType[];
  readonly in?: ZodType;
  readonly entries?: Record<string, string | number>;
}

function defOf(schema: ZodType): ZodDef {
  return (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
}

/** Wrappers that do not change the shape of what is written. */
function unwrapped(schema: ZodType): ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (def.innerType && ['optional', 'default', 'nullable', 'readonly', 'prefault'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      current = def.in;
    } else {
      return current;
    }
  }
}

function holdsFields(schema: ZodType): boolean {
  const def = defOf(unwrapped(schema));
  if (def.type === 'object') return true;
  return def.type === 'union' && (def.options ?? []).some(holdsFields);
}

/** Visits every field of a zod object schema with its path, in the same notation as sdkMembers. A union of
 * scalars is a scalar; a union holding objects contributes each object's fields. */
function walkZod(schema: ZodType, prefix: string, visitField: (path: string, kind: MemberKind, def: ZodDef) => void) {
  const visit = (node: ZodType, path: string): void => {
    const def = defOf(unwrapped(node));
    switch (def.type) {
      case 'object': {
        if (path !== prefix) visitField(path, 'structure', def);
        for (const [name, field] of Object.entries(def.shape ?? {})) visit(field, join(path, name));
        return;
      }
      case 'array':
        visitField(path, 'list', def);
        // The SDK writes a list of simple values as one member; only items with fields have paths of their own.
        if (def.element) {
          if (holdsFields(def.element)) visit(def.element, `${path}[]`);
          else visitField(`${path}[]`, 'scalar', defOf(unwrapped(def.element)));
        }
        return;
      case 'record':
        visitField(path, 'map', def);
        return;
      case 'unknown':
      case 'any':
        visitField(path, 'document', def);
        return;
      case 'union': {
        const objects = (def.options ?? []).filter(holdsFields);
        if (objects.length === 0) visitField(path, 'scalar', def);
        for (const option of objects) visit(option, path);
        return;
      }
      default:
        visitField(path, 'scalar', def);
    }
  };
  visit(schema, prefix);
}

/** Every field path a zod object schema accepts, with its kind. */
export function zodMembers(schema: ZodType, prefix = ''): MemberMap {
  const members: MemberMap = new Map();
  walkZod(schema, prefix, (path, kind) => {
    // Items of a simple list are part of the list member, as in the SDK's schema.
    if (!(path.endsWith('[]') && kind === 'scalar')) members.set(path, kind);
  });
  return members;
}

/** The values each enum field of a zod schema allows, by path (`a[].b`; `a[]` for a list of enum values). */
export function zodEnums(schema: ZodType): Map<string, string[]> {
  const enums = new Map<string, string[]>();
  walkZod(schema, '', (path, _kind, def) => {
    if (def.type === 'enum' && def.entries) enums.set(path, Object.values(def.entries).map(String).sort());
  });
  return enums;
}

/** The path's ancestors within one request, nearest first (`a[].b.c` → `a[].b`, `a[]`, `a`), stopping at `root`. */
function ancestors(path: string, root: string): string[] {
  const found: string[] = [];
  let current = path;
  for (;;) {
    const next = current.endsWith('[]')
      ? current.slice(0, -2)
      : current.slice(0, Math.max(current.lastIndexOf('.'), 0));
    if (next === '' || next === root || next === current) return found;
    found.push(next);
    current = next;
  }
}

/** The SDK member paths under `root` (`''` for the service requests) that the declaration neither accepts with the
 * same kind nor lists, itself or through an ancestor, in `notDeclarable` (keys relative to `root`). */
export function uncoveredMembers(
  sdk: MemberMap,
  declared: MemberMap,
  notDeclarable: Readonly<Record<string, string>>,
  root = '',
): string[] {
  const relative = (path: string) => (root === '' ? path : path.slice(root.length + 1));
  const listed = (path: string) =>
    relative(path) in notDeclarable || ancestors(path, root).some((ancestor) => relative(ancestor) in notDeclarable);
  return [...sdk]
    .filter(([path, kind]) => !listed(path) && declared.get(path) !== kind)
    .map(([path, kind]) => `${path} (${kind}${declared.has(path) ? `, declared as ${declared.get(path)}` : ''})`);
}
