/** Reads the files of a configuration repository at one commit as UTF-8 text, concurrently but bounded, turning what
 * cannot be used (a symbolic link, a file over the size limit, bytes that are not UTF-8) into diagnostics. */
import { FileTooLargeError } from '../errors.ts';
import { compareStrings } from '../util.ts';
import { type Diagnostic, diagnostic } from './diagnostics.ts';
import { type FileEntry, MAX_FILE_BYTES, type RepositoryReader } from './files.ts';

/** Reads run concurrently, but bounded unless the source says otherwise: CodeCommit throttles a burst of GetFile calls. */
const READ_CONCURRENCY = 8;
/** One decoder for every file: a decode without `stream` starts afresh, and building a decoder costs four times what
 * decoding a 1 KB file does. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The texts of `entries` by path, in path order; Git failures other than size propagate. */
export async function readTexts(
  source: RepositoryReader,
  commitId: string,
  entries: readonly FileEntry[],
  diagnostics: Diagnostic[],
  cache: Map<string, string> | undefined,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const queue = [...entries];
  const worker = async () => {
    for (let entry = queue.shift(); entry; entry = queue.shift()) {
      const text = await readText(source, commitId, entry, diagnostics, cache);
      if (text !== undefined) texts.set(entry.path, text);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(source.readConcurrency ?? READ_CONCURRENCY, entries.length) }, worker),
  );
  return new Map([...texts].sort(([a], [b]) => compareStrings(a, b)));
}

/** Reads a file as UTF-8 text, or records why it cannot be used. Git failures other than size propagate. */
export async function readText(
  source: RepositoryReader,
  commitId: string,
  entry: FileEntry,
  diagnostics: Diagnostic[],
  cache?: Map<string, string>,
): Promise<string | undefined> {
  const cached = cache?.get(entry.blobId);
  if (cached !== undefined) return cached;
  const start = { file: entry.path, line: 1, column: 1 };
  if (entry.type === 'symlink') {
    diagnostics.push(diagnostic('E_PATH', start, 'the file is a symbolic link; driftless does not follow links'));
    return undefined;
  }
  if (entry.sizeBytes !== undefined && entry.sizeBytes > MAX_FILE_BYTES) {
    diagnostics.push(tooLarge(entry.path, entry.sizeBytes));
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = await source.readFile(commitId, entry.path);
  } catch (error) {
    if (error instanceof FileTooLargeError) {
      diagnostics.push(tooLarge(entry.path, error.sizeBytes));
      return undefined;
    }
    throw error;
  }
  try {
    const text = UTF8.decode(bytes).replace(/^\uFEFF/, '');
    cache?.set(entry.blobId, text);
    return text;
  } catch {
    const invalid = firstInvalidByte(bytes);
    let line = 1;
    for (let i = 0; i < invalid; i++) if (bytes[i] === 0x0a) line++;
    const byte = `0x${(bytes[Math.max(invalid, 0)] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
    const where = invalid === -1 ? '' : `: byte ${byte} on this line does not belong to a UTF-8 character`;
    diagnostics.push(diagnostic('E_YAML', { ...start, line }, `the file is not UTF-8 text${where}`));
    return undefined;
  }
}

/** Where the first byte that is not part of a well-formed UTF-8 character is, or -1: so the error names a line. */
function firstInvalidByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length =
      lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    let codePoint = lead & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    const shortest = [0, 0, 0x80, 0x800, 0x10000][length]!;
    if (codePoint < shortest || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += length;
  }
  return -1;
}

function tooLarge(file: string, sizeBytes: number): Diagnostic {
  return diagnostic(
    'E_SIZE',
    { file, line: 1, column: 1 },
    `the file is ${sizeBytes} bytes; the limit is ${MAX_FILE_BYTES} bytes (what CodeCommit's GetFile returns)`,
  );
}
