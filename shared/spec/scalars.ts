/** The text a scalar was written as in a YAML document, for values YAML reads as something else (0123 as the number
 * 123, 1.10 as 1.1). Pure. */
import { type Document, isMap, isScalar, isSeq } from 'yaml';

export type ScalarPath = readonly (string | number)[];

/** The source of the plain (unquoted) scalar at `path`, or undefined when there is none there or it is quoted. */
export function plainScalarSourceAt(document: Document, path: ScalarPath): string | undefined {
  let node: unknown = document.contents;
  for (const segment of path) {
    if (isMap(node)) {
      node = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))?.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else return undefined;
  }
  if (!isScalar(node) || node.type !== 'PLAIN') return undefined;
  return typeof node.source === 'string' ? node.source : undefined;
}
