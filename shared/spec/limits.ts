/** The documented limits on what driftless reads from a configuration repository: each is far above any real
 * configuration, and each turns a hostile or broken file into an E_LIMIT diagnostic at file:line instead of a stall
 * or a crash. The README's "Limits" section lists them. */
import { MAX_FILE_BYTES } from './files.ts';

export interface InputLimits {
  /** Bytes in one file (CodeCommit's GetFile returns at most 6 MB); refused with E_SIZE. */
  readonly fileBytes: number;
  /** Keys in one mapping. A CloudFormation template has at most 500 resources, 200 parameters and 200 outputs. */
  readonly keysPerMapping: number;
  /** Items in one sequence. */
  readonly itemsPerSequence: number;
  /** Mappings and sequences nested in one another, aliases followed. Real declarations nest under 15 deep. */
  readonly nestingDepth: number;
  /** Documents (separated by `---`) in one file. */
  readonly documentsPerFile: number;
  /** Characters in one string (a key or a value). A task definition is at most 64 KiB, a template body 1 MB. */
  readonly scalarLength: number;
  /** Aliases (`*name`) in one document, and how far they may expand: anchors are for sharing a few blocks, and
   * unbounded aliases expand exponentially ("billion laughs"). */
  readonly aliasesPerDocument: number;
  /** Declarations (EcsService and CloudFormationStack documents) in one repository. */
  readonly declarationsPerRepository: number;
  /** YAML and JSON files under the configuration folder (Settings, declarations, templates): files past it are not
   * read at all, so a repository of a million files costs no million reads. */
  readonly filesPerRepository: number;
}

export const INPUT_LIMITS: InputLimits = Object.freeze({
  fileBytes: MAX_FILE_BYTES,
  keysPerMapping: 10_000,
  itemsPerSequence: 10_000,
  nestingDepth: 100,
  documentsPerFile: 1_000,
  scalarLength: 1_048_576,
  aliasesPerDocument: 100,
  declarationsPerRepository: 50_000,
  filesPerRepository: 100_000,
});

/** The limits with some replaced: tests exercise a limit without building a repository of its size. */
export function limitsWith(overrides: Partial<InputLimits> | undefined): InputLimits {
  return overrides ? { ...INPUT_LIMITS, ...overrides } : INPUT_LIMITS;
}

/** Numbers as the README writes them (10,000), so a message and the documentation agree. */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}
