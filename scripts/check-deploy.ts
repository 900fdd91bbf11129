/**
 * `npm run check:deploy`: the container and the Kubernetes manifests, checked without a container
 * engine or a cluster.
 *
 * - Manifests: every object of deploy/kubernetes/ parses and validates against the checked-in
 *   subset of the Kubernetes schemas (scripts/deploy/kubernetes-schema.json); ports, probe paths and
 *   variable names are compared with the service's own configuration schema (EnvSchema) and its
 *   routes, so the manifests, compose.yaml, the README and the code cannot drift apart.
 * - Container (skipped with --manifests-only): the Dockerfile's steps are replayed as plain
 *   commands in a scratch folder (each stage a folder standing for its WORKDIR), then the runtime
 *   stage's CMD is started from there with the stage's environment, its HEALTHCHECK must pass,
 *   and SIGTERM must end it with exit code 0.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { buildApp } from '../src/app.js';
import { EnvSchema, loadConfig } from '../src/config.js';
import { ServiceMetrics } from '../src/observability/metrics.js';
import { SimulatedProcessor } from '../src/processors/simulated/simulated-processor.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { SimulatedLedger } from '../src/store/simulated-ledger.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MANIFESTS = path.join(ROOT, 'deploy/kubernetes');
const ENV_NAMES = new Set(Object.keys(EnvSchema.properties));
const DEFAULT_PORT = (EnvSchema.properties.PORT as { default: number }).default;

const problems: string[] = [];
const check = (ok: unknown, problem: string) => {
  if (!ok) problems.push(problem);
};

/* ------------------------------------------------------------------ the Dockerfile ------ */

interface Stage {
  name: string;
  workdir: string | null;
  steps: Array<{ op: string; args: string }>;
}

/** The Dockerfile's stages and their instructions (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    const instruction = op!.toUpperCase();
    if (instruction === 'FROM') {
      const name = / AS (\S+)$/i.exec(args!)?.[1] ?? String(stages.length);
      stages.push({ name, workdir: null, steps: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${instruction} before FROM`);
    if (instruction === 'WORKDIR') stage.workdir = args!;
    stage.steps.push({ op: instruction, args: args! });
  }
  return stages;
}

/** An exec-form (JSON array) argument list; null for the shell form. */
function execForm(args: string): string[] | null {
  try {
    const parsed = JSON.parse(args) as unknown;
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

function parseEnvInstruction(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, key, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) out[key!] = value!.replace(/^"|"$/g, '');
  return out;
}

function dockerignore(): string[] {
  const file = path.join(ROOT, '.dockerignore');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
}

function ignored(relative: string, patterns: string[]): boolean {
  const first = relative.split('/')[0]!;
  return patterns.some((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    return regex.test(relative) || regex.test(first);
  });
}

/** The environment a RUN or the CMD sees: the machine's PATH and HOME, the stage's ENV, nothing of the caller's npm or NODE_ENV. */
function stageEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key === 'NODE_ENV' || key === 'INIT_CWD' || ENV_NAMES.has(key)) continue;
    base[key] = value;
  }
  return { ...base, ...env };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function checkContainer(stages: Stage[]): Promise<void> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'payment-image-'));
  const patterns = dockerignore();
  for (const required of ['node_modules', 'dist', '.git', '.env']) check(patterns.includes(required), `.dockerignore: ${required} must be left out of the build context`);
  const dirs = new Map<string, { dir: string; workdir: string }>();
  const runtime = stages.at(-1)!;
  let runtimeEnv: Record<string, string> = {};
  try {
    for (const stage of stages) {
      const dir = path.join(scratch, stage.name);
      mkdirSync(dir, { recursive: true });
      const workdir = stage.workdir ?? '/';
      dirs.set(stage.name, { dir, workdir });
      const env: Record<string, string> = {};
      const inStage = (target: string) => path.join(dir, path.posix.relative(workdir, path.posix.resolve(workdir, target)));
      for (const step of stage.steps) {
        switch (step.op) {
          case 'ENV':
            Object.assign(env, parseEnvInstruction(step.args));
            break;
          case 'COPY': {
            const words = step.args.split(/\s+/);
            const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : null;
            const dest = words.pop()!;
            for (const source of words) {
              let origin: string;
              if (from) {
                const other = dirs.get(from);
                if (!other) throw new Error(`Dockerfile: COPY --from=${from}: no such earlier stage`);
                origin = path.join(other.dir, path.posix.relative(other.workdir, path.posix.resolve(other.workdir, source)));
              } else {
                check(!ignored(source, patterns), `Dockerfile: COPY ${source} is left out by .dockerignore`);
                origin = path.join(ROOT, source);
              }
              if (!existsSync(origin)) throw new Error(`Dockerfile: COPY ${source}: not found (${from ? `in stage ${from}` : 'in the build context'})`);
              const target = dest.endsWith('/') || words.length > 1 ? path.join(inStage(dest), path.basename(source)) : inStage(dest);
              mkdirSync(path.dirname(target), { recursive: true });
              cpSync(origin, target, { recursive: true, filter: (file) => !ignored(path.relative(ROOT, file), from ? [] : patterns) || file === origin });
            }
            break;
          }
          case 'RUN': {
            // BuildKit's --mount flags (a cache folder) have no meaning outside a build: the command is what runs.
            const command = step.args.replace(/^(--\S+\s+)+/, '');
            check(!/npm cache clean/.test(command), 'Dockerfile: keep the npm cache out of the image with a cache mount, not npm cache clean (which the replay would run on this machine)');
            process.stdout.write(`  [${stage.name}] RUN ${command}\n`);
            execFileSync('bash', ['-euo', 'pipefail', '-c', command], { cwd: dir, env: stageEnvironment(env), stdio: ['ignore', 'ignore', 'inherit'] });
            break;
          }
          case 'USER':
            check(stage !== runtime || !/^(root|0)(:|$)/.test(step.args), 'Dockerfile: the runtime stage must run as a non-root USER');
            break;
          case 'EXPOSE':
            check(step.args.split(/\s+/).includes(String(DEFAULT_PORT)), `Dockerfile: EXPOSE ${step.args}, but the service listens on ${DEFAULT_PORT} (PORT)`);
            break;
        }
      }
      if (stage === runtime) runtimeEnv = env;
    }

    const steps = (op: string) => runtime.steps.filter((step) => step.op === op);
    const user = steps('USER').at(-1)?.args;
    check(user !== undefined, 'Dockerfile: the runtime stage sets no USER (it would run as root)');
    const cmd = execForm(steps('CMD').at(-1)?.args ?? '');
    check(cmd?.join(' ') === 'node dist/server.js', 'Dockerfile: CMD must be ["node", "dist/server.js"] in exec form, so node is PID 1 and gets SIGTERM itself');
    const healthcheck = steps('HEALTHCHECK').at(-1)?.args ?? '';
    const probe = execForm(healthcheck.replace(/^.*?\bCMD\s+/, ''));
    check(probe !== null, 'Dockerfile: HEALTHCHECK CMD [...] (exec form) is required');
    check(runtimeEnv.NODE_ENV === 'production', 'Dockerfile: the runtime stage must set NODE_ENV=production');
    for (const name of Object.keys(runtimeEnv)) check(ENV_NAMES.has(name), `Dockerfile: ENV ${name} is not a variable of the service`);
    const { dir } = dirs.get(runtime.name)!;
    check(existsSync(path.join(dir, 'dist/server.js')), 'runtime stage: dist/server.js is missing');
    check(existsSync(path.join(dir, 'dist/migrate.js')), 'runtime stage: dist/migrate.js is missing (the migration Job runs it)');
    check(existsSync(path.join(dir, 'dist/cli/rotate-key.js')), 'runtime stage: dist/cli/rotate-key.js is missing (a data-key rotation runs it)');
    for (const dev of ['typescript', 'tsx', '@redocly/cli', 'fast-check']) check(!existsSync(path.join(dir, 'node_modules', dev)), `runtime stage: development dependency ${dev} is installed`);
    if (!cmd || !probe) return;

    // Start it as the container would, with what a staging run needs in production mode.
    const port = await freePort();
    const env = stageEnvironment({
      ...runtimeEnv,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: randomBytes(24).toString('hex'),
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DATA_DIR: path.join(scratch, 'data'),
      ALLOW_SIMULATED_PROCESSOR: 'true',
      ALLOW_EMBEDDED_DATABASE: 'true',
      SHUTDOWN_DRAIN_MS: '200',
      LOG_LEVEL: 'info',
    });
    const child = spawn(cmd[0] === 'node' ? process.execPath : cmd[0]!, cmd.slice(1), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let healthy = false;
    for (let i = 0; i < 60 && child.exitCode === null && !healthy; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      try {
        execFileSync(probe[0] === 'node' ? process.execPath : probe[0]!, probe.slice(1), { cwd: dir, env, stdio: 'ignore', timeout: 5000 });
        healthy = true;
      } catch {
        // Not yet.
      }
    }
    check(healthy, `the runtime stage's CMD did not pass its HEALTHCHECK:\n${output}`);
    check(/"msg":"boot: environment production, processor simulated/.test(output), 'the boot summary line is missing from the log');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    check(code === 0, `on SIGTERM the service exited ${code}, not 0:\n${output.slice(-2000)}`);
    if (healthy) process.stdout.write(`  the runtime stage served /health on port ${port} and exited ${code} on SIGTERM\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------ the manifests ------- */

type Manifest = Record<string, any> & { kind: string; metadata: { name: string } };

function loadManifests(): Array<{ file: string; object: Manifest }> {
  const out: Array<{ file: string; object: Manifest }> = [];
  for (const file of readdirSync(MANIFESTS).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const document of parseAllDocuments(readFileSync(path.join(MANIFESTS, file), 'utf8'))) {
      if (document.errors.length > 0) {
        problems.push(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
        continue;
      }
      const object = document.toJS() as Manifest | null;
      if (object) out.push({ file, object });
    }
  }
  return out;
}

function validateSchemas(manifests: Array<{ file: string; object: Manifest }>): void {
  const subset = JSON.parse(readFileSync(path.join(ROOT, 'scripts/deploy/kubernetes-schema.json'), 'utf8')) as {
    definitions: Record<string, unknown>;
    kinds: Record<string, Record<string, unknown>>;
  };
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const { file, object } of manifests) {
    const schema = subset.kinds[object.kind];
    if (!schema) {
      problems.push(`${file}: kind ${object.kind} is not in the schema subset`);
      continue;
    }
    const validate = ajv.compile({ ...schema, definitions: subset.definitions });
    const kind = object.kind;
    if (!validate(object)) {
      for (const error of validate.errors ?? []) {
        problems.push(`${file} (${kind}): ${error.instancePath || '/'} ${error.message}${error.params && 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''}`);
      }
    }
  }
}

/** The envelope's answer to a probe path, on the service as built from its own code. */
async function probeAnswers(paths: string[]): Promise<Map<string, number>> {
  const db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: randomBytes(24).toString('hex') });
  const app = await buildApp(config, { db, processor: new SimulatedProcessor(new SimulatedLedger(db)) });
  const answers = new Map<string, number>();
  for (const url of paths) answers.set(url, (await app.inject({ method: 'GET', url })).statusCode);
  await app.close();
  await db.close();
  return answers;
}

async function checkManifests(dockerfile: Stage[]): Promise<void> {
  const manifests = loadManifests();
  validateSchemas(manifests);
  const byKind = (kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object);
  for (const kind of ['Deployment', 'Service', 'ConfigMap', 'Secret', 'PodDisruptionBudget', 'Job']) check(byKind(kind).length === 1, `deploy/kubernetes: exactly one ${kind} expected, found ${byKind(kind).length}`);
  const [deployment] = byKind('Deployment');
  const [service] = byKind('Service');
  const [configMap] = byKind('ConfigMap');
  const [secret] = byKind('Secret');
  const [budget] = byKind('PodDisruptionBudget');
  const [job] = byKind('Job');
  if (!deployment || !service || !configMap || !secret || !budget || !job) return;

  for (const kustomization of byKind('Kustomization')) {
    for (const resource of kustomization.resources as string[]) check(existsSync(path.join(MANIFESTS, resource)), `kustomization.yaml: ${resource} does not exist`);
  }

  // Variable names: the service's own, and nothing else.
  const data = (configMap.data ?? {}) as Record<string, string>;
  const secretKeys = Object.keys({ ...(secret.stringData ?? {}), ...(secret.data ?? {}) });
  for (const name of [...Object.keys(data), ...secretKeys]) check(ENV_NAMES.has(name), `${name} is not a variable of the service (src/config.ts EnvSchema)`);
  for (const name of Object.keys(data)) check(!secretKeys.includes(name), `${name} is in both the ConfigMap and the Secret`);
  for (const name of ['STRIPE_SECRET_KEY', 'DATABASE_URL', 'JWT_SECRET', 'DATA_ENCRYPTION_KEY', 'METRICS_TOKEN']) check(secretKeys.includes(name), `the Secret template lacks ${name}`);
  for (const name of Object.keys(data)) {
    check(!(EnvSchema.properties as Record<string, { secret?: boolean }>)[name]?.secret, `${name} is a secret: it belongs in the Secret, not the ConfigMap`);
  }
  check(secret.data === undefined && Object.values(secret.stringData ?? {}).every((value) => value === ''), 'the Secret is a template: every value must be empty');
  // The ConfigMap's values are what the service accepts (with stand-ins for the secrets).
  let config: ReturnType<typeof loadConfig> | null = null;
  try {
    config = loadConfig({
      ...data,
      STRIPE_SECRET_KEY: 'sk_test_standin',
      DATABASE_URL: 'postgres://standin@db:5432/payments',
      JWT_SECRET: 'a-stand-in-secret-of-some-length',
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
  } catch (error) {
    problems.push(`the ConfigMap's values are refused by the service: ${(error as Error).message}`);
  }
  check(data.NODE_ENV === 'production', 'the ConfigMap must set NODE_ENV=production');
  check(data.PAYMENT_PROCESSOR === 'stripe', 'the ConfigMap must set PAYMENT_PROCESSOR=stripe (production refuses the simulated one)');

  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  check(deployment.spec.replicas === 2, 'the Deployment runs 2 replicas');
  const port = Number(data.PORT ?? DEFAULT_PORT);
  check(port === DEFAULT_PORT, `PORT is ${port}, the platform's container port is ${DEFAULT_PORT}`);
  const exposed = dockerfile.at(-1)!.steps.filter((s) => s.op === 'EXPOSE').map((s) => Number(s.args));
  check(exposed.includes(port), `the Dockerfile EXPOSEs ${exposed.join(', ')}, not PORT ${port}`);
  const ports = container.ports as Array<{ name?: string; containerPort: number }>;
  check(ports.length === 1 && ports[0]!.containerPort === port, `the container port must be PORT (${port})`);
  const portOf = (ref: string | number) => (typeof ref === 'number' ? ref : ports.find((p) => p.name === ref)?.containerPort);
  const paths: Record<string, string> = { readinessProbe: '/ready', livenessProbe: '/health', startupProbe: '/health' };
  for (const [probe, expected] of Object.entries(paths)) {
    const httpGet = container[probe]?.httpGet as { path: string; port: string | number } | undefined;
    if (probe !== 'startupProbe' || httpGet) {
      check(httpGet?.path === expected, `${probe} must GET ${expected} (got ${httpGet?.path})`);
      check(httpGet && portOf(httpGet.port) === port, `${probe} must use the container's port ${port}`);
    }
  }
  const answers = await probeAnswers([...new Set(Object.values(paths))]);
  for (const [url, status] of answers) check(status === 200, `the service answers GET ${url} with ${status}, not 200`);
  check(container.resources?.requests?.cpu && container.resources?.requests?.memory && container.resources?.limits?.memory, 'the container needs resource requests (cpu, memory) and a memory limit');
  for (const [where, spec, context] of [['Deployment', pod, container.securityContext], ['Job', job.spec.template.spec, job.spec.template.spec.containers[0].securityContext]] as const) {
    check(spec.securityContext?.runAsNonRoot === true, `${where}: the pod must set runAsNonRoot: true`);
    check(context?.readOnlyRootFilesystem === true, `${where}: the container must set readOnlyRootFilesystem: true`);
    check(context?.allowPrivilegeEscalation === false, `${where}: the container must set allowPrivilegeEscalation: false`);
    for (const from of spec.containers[0].envFrom ?? []) {
      const ref = from.configMapRef?.name ?? from.secretRef?.name;
      check(ref === configMap.metadata.name || ref === secret.metadata.name, `${where}: envFrom ${ref} names no object here`);
    }
    for (const env of spec.containers[0].env ?? []) check(ENV_NAMES.has(env.name), `${where}: env ${env.name} is not a variable of the service`);
  }
  if (config) {
    const boundMs = config.shutdown.drainMs + config.shutdown.timeoutMs;
    check(pod.terminationGracePeriodSeconds * 1000 > boundMs, `terminationGracePeriodSeconds (${pod.terminationGracePeriodSeconds} s) must exceed SHUTDOWN_DRAIN_MS + SHUTDOWN_TIMEOUT_MS (${boundMs} ms)`);
  }

  const labels = deployment.spec.template.metadata.labels as Record<string, string>;
  const selects = (selector: Record<string, string> | undefined) => selector && Object.entries(selector).every(([k, v]) => labels[k] === v);
  check(selects(deployment.spec.selector.matchLabels), 'the Deployment\'s selector does not match its pods');
  check(selects(service.spec.selector), 'the Service\'s selector does not match the pods');
  check(selects(budget.spec.selector.matchLabels), 'the PodDisruptionBudget\'s selector does not match the pods');
  check(service.spec.ports[0].port === port && portOf(service.spec.ports[0].targetPort) === port, `the Service must serve port ${port} to the container's port`);
  check(budget.spec.minAvailable === 1, 'the PodDisruptionBudget keeps one replica of two available');
  const jobContainer = job.spec.template.spec.containers[0];
  check(jobContainer.command?.join(' ') === 'node dist/migrate.js', 'the Job must run node dist/migrate.js (npm run migrate in the image)');
  check(jobContainer.image === container.image, 'the Job and the Deployment must run the same image');
  check(job.spec.template.spec.restartPolicy === 'Never' || job.spec.template.spec.restartPolicy === 'OnFailure', 'the Job needs restartPolicy Never or OnFailure');
}

/* ------------------------------------------------------------------ compose and README --- */

async function checkComposeAndReadme(): Promise<void> {
  const compose = parseYaml(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; ports?: string[]; command?: string[]; stop_grace_period?: string }>;
  };
  for (const name of ['postgres', 'redis', 'payment-service']) check(compose.services?.[name], `compose.yaml: service ${name} is missing`);
  const app = compose.services['payment-service'];
  if (app) {
    for (const name of Object.keys(app.environment ?? {})) check(ENV_NAMES.has(name), `compose.yaml: ${name} is not a variable of the service`);
    check(app.ports?.some((p) => String(p).endsWith(`:${DEFAULT_PORT}`)), `compose.yaml: the service must publish port ${DEFAULT_PORT}`);
    check(/@postgres:5432\//.test(app.environment?.DATABASE_URL ?? '') && /^redis:\/\/redis:6379/.test(app.environment?.REDIS_URL ?? ''), 'compose.yaml: DATABASE_URL and REDIS_URL must reach the postgres and redis services');
    const grace = Number(/^(\d+)s$/.exec(app.stop_grace_period ?? '')?.[1] ?? 10);
    const drain = Number(app.environment?.SHUTDOWN_DRAIN_MS ?? 0) + Number(app.environment?.SHUTDOWN_TIMEOUT_MS ?? 30_000);
    check(grace * 1000 > drain, `compose.yaml: stop_grace_period (${grace} s) must exceed the drain and the shutdown timeout (${drain} ms)`);
  }
  const migrateService = compose.services.migrate;
  check(migrateService?.command?.join(' ') === 'node dist/migrate.js', 'compose.yaml: a migrate service runs node dist/migrate.js');
  for (const name of Object.keys(migrateService?.environment ?? {})) check(ENV_NAMES.has(name), `compose.yaml: ${name} is not a variable of the service`);
  // Production refuses to start, and to migrate, without a data key: compose asks for one rather than pass an empty value.
  for (const [name, service] of [['payment-service', app], ['migrate', migrateService]] as const) {
    check(/^\$\{DATA_ENCRYPTION_KEY:\?/.test(service?.environment?.DATA_ENCRYPTION_KEY ?? ''), `compose.yaml: ${name} must require DATA_ENCRYPTION_KEY (\${DATA_ENCRYPTION_KEY:?...})`);
  }

  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  // A row of the configuration table names one variable or several in its first cell.
  const firstCells = readme.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split('|')[1]!);
  for (const name of ENV_NAMES) check(firstCells.some((cell) => cell.includes(`\`${name}\``)), `README: the configuration table lacks ${name}`);
  const db = await openDatabase({ dataDir: 'memory://' });
  const metrics = new ServiceMetrics({ db });
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const name = metric.name;
    if (name.startsWith('process_') || name.startsWith('nodejs_')) continue;
    check(readme.includes(`\`${name}\``), `README: the operator's page does not describe the metric ${name}`);
  }
  for (const name of ['payment_outbox_pending', 'payment_outbox_dead', 'payment_outbox_oldest_pending_age_seconds']) check(readme.includes(`\`${name}\``), `README: the metric ${name} is not described`);
  await db.close();
}

/* ------------------------------------------------------------------ main ----------------- */

const manifestsOnly = process.argv.includes('--manifests-only');
const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
check(dockerfile.length >= 2, 'Dockerfile: a build stage and a runtime stage expected');
process.stdout.write('check:deploy: Kubernetes manifests, compose.yaml and the README against the service\'s configuration\n');
await checkManifests(dockerfile);
await checkComposeAndReadme();
if (!manifestsOnly) {
  process.stdout.write('check:deploy: replaying the Dockerfile in a scratch folder\n');
  try {
    await checkContainer(dockerfile);
  } catch (error) {
    problems.push(`container: ${(error as Error).message}`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`check:deploy: ${problems.length} problem(s):\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write('check:deploy: all good\n');
