#!/usr/bin/env node
// The `bursar` command. An installed package runs the compiled dist/ (Node does not
// strip types under node_modules); a checkout without a build runs the TypeScript
// sources through Node's type stripping (Node >= 22.15).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href);
