#!/usr/bin/env node
// The `bursar` command. Sources are TypeScript run by Node's type stripping (Node >= 22.15).
import '../src/cli/main.ts';
