#!/usr/bin/env node
// The published `tapcharge` command: load the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
