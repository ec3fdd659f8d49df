import 'aws-sdk-client-mock-vitest/extend';
import { readFileSync } from 'node:fs';
import { provideResourceSpec, resourceSpecFile } from '../../shared/spec/resource-spec.ts';

// Tests read the committed resource specification index, as the CLI does (the functions read their bundle's copy).
provideResourceSpec(() => readFileSync(resourceSpecFile()));
