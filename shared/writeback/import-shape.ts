/** The schema-guided shaping behind `driftless import`: API objects cut down to what the declaration format holds, in
 * its key order, and minimized against a sameness test (the normalizer's canonical form). Pure. */
import type { ZodType } from 'zod';
import { isObject } from '../plan/canonical.ts';

interface SchemaNode {
  readonly def: { readonly type: string };
  readonly shape?: Record<string, ZodType>;
  readonly element?: ZodType;
  unwrap?(): ZodType;
}

/** The schema under optional/default wrappers. */
function inner(schema: ZodType): SchemaNode {
  let node = schema as unknown as SchemaNode;
  while ((node.def.type === 'optional' || node.def.type === 'default') && node.unwrap) {
    node = node.unwrap() as unknown as SchemaNode;
  }
  return node;
}

function isOptional(schema: ZodType): boolean {
  const type = (schema as unknown as SchemaNode).def.type;
  return type === 'optional' || type === 'default';
}

/** The value with only what the schema declares, in the schema's key order; API fields the declaration format has
 * no place for (read-only ones, ARNs, timestamps) fall away here. */
export function fitToSchema(value: unknown, schema: ZodType): unknown {
  const node = inner(schema);
  if (value === undefined || value === null) return undefined;
  if (node.def.type === 'object' && node.shape) {
    if (!isObject(value)) return value;
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node.shape)) {
      const fitted = fitToSchema(value[key], child);
      if (fitted !== undefined) result[key] = fitted;
    }
    return result;
  }
  if (node.def.type === 'array' && node.element) {
    if (!Array.isArray(value)) return value;
    return value.map((item) => fitToSchema(item, node.element as ZodType)).filter((item) => item !== undefined);
  }
  if (value instanceof Date) return value.toISOString();
  return structuredClone(value);
}

/** The same value with object keys in the schema's order (a value built in another order reads the same). */
export function orderLike(value: unknown, schema: ZodType): unknown {
  const node = inner(schema);
  if (node.def.type === 'object' && node.shape && isObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node.shape)) {
      if (value[key] !== undefined) result[key] = orderLike(value[key], child);
    }
    return result;
  }
  if (node.def.type === 'array' && node.element && Array.isArray(value)) {
    return value.map((item) => orderLike(item, node.element as ZodType));
  }
  return value;
}

export function pruneEmpty(value: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === undefined) continue;
    if (isObject(child) && Object.keys(child).length === 0) continue;
    result[key] = child;
  }
  return result;
}

/** Removes, in place and from the top down, every optional field whose absence keeps `same(root)` true: a whole
 * subtree when it can go, else what inside it can. `keep` vetoes a removal; it gets the field's path of keys from the
 * root (list items add no segment, so a path reads as the schema's). List items are never removed (each is an element
 * of what runs); their fields are minimized. */
export function minimize(
  root: Record<string, unknown>,
  schema: ZodType,
  same: (root: Record<string, unknown>) => boolean,
  keep: (path: readonly string[], value: unknown) => boolean,
): void {
  const visit = (node: Record<string, unknown>, nodeSchema: ZodType, path: readonly string[]) => {
    const shape = inner(nodeSchema).shape ?? {};
    for (const key of Object.keys(node)) {
      const child = shape[key];
      if (child === undefined) continue;
      const value = node[key];
      const childPath = [...path, key];
      if (isOptional(child) && !keep(childPath, value)) {
        delete node[key];
        if (same(root)) continue;
        node[key] = value;
      }
      descend(value, child, childPath);
    }
    // A reinsertion moved the key to the end: restore the schema's order.
    const ordered = orderLike(node, nodeSchema) as Record<string, unknown>;
    for (const key of Object.keys(node)) delete node[key];
    Object.assign(node, ordered);
  };
  const descend = (value: unknown, valueSchema: ZodType, path: readonly string[]) => {
    const node = inner(valueSchema);
    if (node.def.type === 'object' && isObject(value)) visit(value, valueSchema, path);
    else if (node.def.type === 'array' && node.element && Array.isArray(value)) {
      for (const item of value) if (isObject(item)) visit(item, node.element, path);
    }
  };
  visit(root, schema, []);
}
