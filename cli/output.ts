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

/** How a command prints findings: for people, as data, or as GitHub Actions annotations on the pull request. */
export type OutputFormat = 'text' | 'json' | 'github';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'github'];

/** A finding as a GitHub Actions workflow command; properties left undefined are left out. */
export interface Annotation {
  readonly severity: 'error' | 'warning';
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly title?: string;
  readonly message: string;
}

/** One `::error file=…,line=…::message` line, escaped as the Actions runner (and @actions/core) unescapes it: a raw
 * newline would end the command and let the rest of a message be read as a command of its own. */
export function githubAnnotation(annotation: Annotation): string {
  const properties = (['file', 'line', 'col', 'title'] as const)
    .filter((key) => annotation[key] !== undefined)
    .map((key) => `${key}=${escapeProperty(String(annotation[key]))}`)
    .join(',');
  return `::${annotation.severity}${properties === '' ? '' : ` ${properties}`}::${escapeData(annotation.message)}\n`;
}

function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}
