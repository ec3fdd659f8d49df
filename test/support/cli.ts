/** A CliIo that keeps what the CLI printed, so tests read exactly what a person would see. */
import type { CliIo } from '../../cli/output.ts';

export interface CapturedIo extends CliIo {
  stdout(): string;
  stderr(): string;
  reset(): void;
}

export function capture(): CapturedIo {
  let stdout = '';
  let stderr = '';
  return {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    color: false,
    stdout: () => stdout,
    stderr: () => stderr,
    reset: () => {
      stdout = '';
      stderr = '';
    },
  };
}
