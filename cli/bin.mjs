#!/usr/bin/env node
// Runs the TypeScript CLI in a clone: tsx compiles on the fly, so a source edit needs no build. The installed
// package's `driftless` is the compiled dist/cli/start.js instead.
import { register } from 'tsx/esm/api';

register();
await import('./start.ts');
