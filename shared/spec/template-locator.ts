/** Finds where a path inside a CloudFormation template is written, for findings that point at the template's own
 * lines. Pure. */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { CLOUDFORMATION_TAGS } from './cloudformation-yaml.ts';
import type { SourceLocation } from './diagnostics.ts';

/** Keys and list indexes from the template's root: ['Resources', 'Queue', 'Type']. */
export type TemplatePath = readonly (string | number)[];

/** Where a path is written in the template: its key's line. Parsed again only when there is something to report. */
export function templateLocator(file: string, body: string): (path: TemplatePath) => SourceLocation {
  const lineCounter = new LineCounter();
  const document = parseDocument(body, { customTags: CLOUDFORMATION_TAGS, lineCounter, uniqueKeys: false });
  return (path) => {
    let node: unknown = document.contents;
    let offset = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        offset = (pair.key as { range?: [number, number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as { range?: [number, number] } | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
}
