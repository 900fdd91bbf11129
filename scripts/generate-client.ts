import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLIENT_DIR, clientFiles, GENERATED_FILES, servedDocument, staleFiles } from './typescript-client.js';

/**
 * npm run client:generate            writes clients/typescript/src/schema.ts from the served document
 * npm run client:generate -- --check exits 1 when the committed files differ from it
 */
const check = process.argv.includes('--check');
const files = await clientFiles(await servedDocument());
if (check) {
  const stale = await staleFiles(files);
  if (stale.length > 0) {
    console.error(`The TypeScript client is stale (${stale.join(', ')}): run npm run client:generate and commit the result`);
    process.exit(1);
  }
  console.log('The TypeScript client matches the served document');
} else {
  for (const file of GENERATED_FILES) await writeFile(path.join(CLIENT_DIR, file), files[file]);
  console.log(`Wrote ${GENERATED_FILES.map((file) => path.join('clients/typescript', file)).join(', ')}`);
}
