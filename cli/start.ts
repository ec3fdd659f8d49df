#!/usr/bin/env node
/** The `driftless` command's process entry: the installed package runs its compiled form (dist/cli/start.js), a clone
 * runs it through tsx (cli/bin.mjs). */

// `driftless … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
// Imported only after the pipes are guarded, and the warning hook goes in before anything can load the SDK.
const { shortenNodeVersionWarning } = await import('./warnings.ts');
shortenNodeVersionWarning();
const { run } = await import('./main.ts');
process.exitCode = await run(process.argv.slice(2));
