import { writeFile } from 'node:fs/promises';
import { buildGraphQLSchema, printSchemaFile } from './build.js';

/** `npm run schema:print`: regenerates the committed schema.graphql from the code. */
await writeFile(new URL('../../schema.graphql', import.meta.url), printSchemaFile(await buildGraphQLSchema()));
console.log('schema.graphql written');
