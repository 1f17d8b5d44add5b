/** Writes docs/configuration.md from the config schema (npm run docs:config). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configReference } from '../src/config/config-reference.js';

const file = path.resolve(import.meta.dirname, '../docs/configuration.md');
writeFileSync(file, configReference());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
