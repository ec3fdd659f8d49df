/** The JSON Schema of the declaration format, generated from the zod schemas so it is never written twice.
 * Editors use it through a `# yaml-language-server: $schema=…` line to complete and check fields. */
import { z } from 'zod';
import { API_VERSION, documentSchemas } from './schema.ts';

export function declarationJsonSchema(): Record<string, unknown> {
  const anyDeclaration = z.union([
    documentSchemas.Settings,
    documentSchemas.EcsService,
    documentSchemas.CloudFormationStack,
  ]);
  // 'input' describes what people write: fields with defaults are optional, numbers are allowed for cpu/memory.
  const schema = z.toJSONSchema(anyDeclaration, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    title: `driftless declaration (${API_VERSION})`,
    description: 'A Settings, EcsService or CloudFormationStack declaration in a driftless configuration repository.',
  };
}
