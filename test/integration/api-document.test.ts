import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { clientFiles, staleFiles } from '../../scripts/typescript-client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_DB } from '../helpers/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REDOCLY = fileURLToPath(new URL('../../node_modules/@redocly/cli/bin/cli.js', import.meta.url));
const run = promisify(execFile);

interface Operation {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { example?: unknown; examples?: object }> }>;
}

// The document does not depend on the database; the PostgreSQL run has nothing to add.
describe('the API document the service serves at /payment/api-docs.json', { skip: TEST_DB === 'postgres' && 'runs with test:embedded' }, () => {
  let t: TestApp;
  let url: string;
  let document: { paths: Record<string, Record<string, Operation>> };

  before(async () => {
    t = await startTestApp();
    url = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/payment/api-docs.json`;
    document = (await (await fetch(url)).json()) as typeof document;
  });
  after(() => t.close());

  it('passes redocly lint with the recommended rules: 0 errors, 0 warnings', async () => {
    const { stdout } = await run(process.execPath, [REDOCLY, 'lint', url, '--format=json', '--config', 'redocly.yaml'], {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      timeout: 60_000,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: unknown }> };
    const problems = report.problems.map((problem) => `${problem.ruleId}: ${problem.message} at ${JSON.stringify(problem.location)}`);
    assert.deepEqual({ ...report.totals, problems }, { errors: 0, warnings: 0, ignored: 0, problems: [] });
  });

  it('is what the committed TypeScript client was generated from (else: npm run client:generate)', async () => {
    assert.deepEqual(await staleFiles(await clientFiles(document)), []);
  });

  it('gives every operation an operationId, its security, and an example for each status', () => {
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (!operation.operationId) missing.push(`${name}: operationId`);
        if (!operation.security) missing.push(`${name}: security`);
        for (const [status, answer] of Object.entries(operation.responses)) {
          const media = answer.content?.['application/json'];
          if (media?.example === undefined && media?.examples === undefined) missing.push(`${name} ${status}: example`);
        }
      }
    }
    assert.deepEqual(missing, []);
    assert.deepEqual(document.paths['/health']?.get?.security, []);
  });

  it('names its relative server and its license, whose terms it serves', async () => {
    const { servers, info } = document as unknown as { servers: unknown; info: { license: { name: string; url: string } } };
    assert.deepEqual(servers, [{ url: '/', description: 'The host that serves this document' }]);
    const terms = await fetch(new URL(info.license.url, url));
    assert.equal(terms.status, 200);
    assert.match(terms.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await terms.text(), /proprietary to CommuneDrop/);
  });
});
