/** Where the CLI writes, and how it colours: injected so tests read exactly what a person would see. */
import { styleText } from 'node:util';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly color: boolean;
  /** stderr is a terminal: a long command may redraw a progress line there. */
  readonly tty?: boolean;
}

export function processIo(): CliIo {
  const color = Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    color,
    tty: Boolean(process.stderr.isTTY),
  };
}

type Style = Parameters<typeof styleText>[0];

export function paint(io: CliIo, style: Style, text: string): string {
  return io.color ? styleText(style, text) : text;
}

/** Exit codes shared by every command: 2 is kept for "changes pending" (plan). */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_CHANGES = 2;
