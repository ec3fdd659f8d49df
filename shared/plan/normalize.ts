/** Brings a declaration and the live resource to one canonical form so that only real differences remain:
 * read-only fields dropped, the defaults ECS and CloudFormation fill in filled on both sides, sets sorted, and lists
 * whose items have a natural key (containers, environment, tags, …) turned into maps keyed by it. Pure.
 * The rules live in normalize-ecs.ts and normalize-stack.ts; this module is the normalizer the rest imports. */
export { isSystemTag, type Json, type JsonObject, prune } from './canonical.ts';
export {
  canonicalCpu,
  canonicalMemory,
  liveServiceFields,
  normalizeDeclaredService,
  normalizeLiveService,
  normalizeTaskDefinition,
  PER_DEPLOYMENT_SERVICE_FIELDS,
  type ServiceNormalizeOptions,
  TASK_DEFINITION_READ_ONLY_FIELDS,
} from './normalize-ecs.ts';
export {
  type DeclaredStackInput,
  NO_ECHO_MASK,
  NOT_COMPARABLE,
  normalizeDeclaredStack,
  normalizeLiveStack,
} from './normalize-stack.ts';
