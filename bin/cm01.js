#!/usr/bin/env node
// The `cm01` executable: loads the TypeScript command line through tsx, so `npx cm01 …`
// works in a clone right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cm01.ts');
