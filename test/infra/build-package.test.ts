import { describe, expect, it } from 'vitest';
import { rewriteImports } from '../../infra/build-package.ts';

describe('rewriteImports', () => {
  it('points relative .ts specifiers of every import form at the emitted .js, and leaves everything else', () => {
    // Prepare: the forms esbuild emits, plus look-alikes that are not imports.
    const code = [
      'import { run } from "./main.ts";',
      'import "../shared/polyfill.ts";',
      'export * from "./types.ts";',
      'export { a } from "../a/b.ts";',
      'const { demo } = await import("./demo.ts");',
      'import { z } from "zod";',
      'import data from "some-package/file.ts";',
      'const alias = { "@aws-sdk/credential-provider-node": "./shared/aws/lambda-credentials.ts" };',
      'const path = join(root, "./functions/push.ts");',
    ].join('\n');

    // Act
    const rewritten = rewriteImports(code).split('\n');

    // Assess
    expect(rewritten).toEqual([
      'import { run } from "./main.js";',
      'import "../shared/polyfill.js";',
      'export * from "./types.js";',
      'export { a } from "../a/b.js";',
      'const { demo } = await import("./demo.js");',
      'import { z } from "zod";',
      'import data from "some-package/file.ts";',
      'const alias = { "@aws-sdk/credential-provider-node": "./shared/aws/lambda-credentials.ts" };',
      'const path = join(root, "./functions/push.ts");',
    ]);
  });
});
