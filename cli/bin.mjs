#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles on the fly, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
// `driftless … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { shortenNodeVersionWarning } = await import('./warnings.ts');
shortenNodeVersionWarning();
const { run } = await import('./main.ts');
process.exitCode = await run(process.argv.slice(2));
