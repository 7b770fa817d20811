/**
 * The composition root: builds the store, runtime, invoke engine, gateway and
 * the AWS endpoint (with the control API), and wires them. The CLI and the
 * tests both start Nimbus through `Platform.start`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { loadApp } from './app/load-app';
import type { FunctionSpec, Stack } from './app/stack';
import { InvokeError } from './invoke/types';
import type { FunctionConfig } from './runtime/types';
import { PlatformError } from './errors';
import { Gateway } from './gateway/gateway';
import type { GatewayApi } from './gateway/types';
import { InvokeEngine } from './invoke/engine';
import { AsyncInvoker, DEFAULT_ASYNC_OPTIONS, type AsyncOptions, type AsyncTargets } from './invoke/async';
import { LogHub } from './observe/logs';
import { Meter } from './observe/metering';
import { RuntimeManager } from './runtime/manager';
import { prepareFunction, type PrepareContext } from './runtime/prepare';
import { openStore } from './store/open';
import { TRIGGERS_MIGRATIONS } from './store/triggers-migrations';
import { TriggersRepo } from './store/triggers-repo';
import type { AppDeployment, AppRecord, Store } from './store/types';
import { reconcileResources, resolveStackTemplates, type DeployedResource, type ResolvedStackTemplates, type ResourceProvider } from './app/cloudformation/reconcile';
import { EventSourceMappings, type EventSourceMappingsOptions } from './triggers/event-source-mappings';
import type { CreateMappingInput } from './triggers/types';
import { ControlApi } from './control/control-api';
import { AwsEndpoint, Credentials, attachAwsEndpoint } from './aws';
import { lambdaService } from './services/lambda/service';
import { DynamoEngine, DynamoMaintenance, dynamoDbService, dynamoStreamSource, dynamoStreamsService, type MaintenanceOptions } from './services/dynamodb';
import { dynamoTableProvider } from './platform-resources';
import { customS3Provider, s3BucketProvider } from './platform-s3-resources';
import { S3Engine, S3_EVENTS_QUEUE } from './services/s3/engine';
import { s3Service } from './services/s3/service';
import { S3Maintenance, type S3MaintenanceOptions } from './services/s3/maintenance';
import { BlobStore } from './store/blobs';
import { S3Notifications, type S3NotificationsOptions } from './triggers/s3-notifications';
import { PlatformLambdaBackend } from './platform-lambda';

export const ACCOUNT_ID = '000000000000';

/**
 * Lifetime of the credentials an instance gets at start. Instance environments
 * cannot be refreshed, so this outlives any instance (idle ones are reaped long
 * before; Lambda's own sandboxes are recycled within hours too).
 */
const INSTANCE_CREDENTIALS_TTL_MS = 12 * 3600_000;

export interface PlatformOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** HTTP API gateway port (default 3000; 0 = ephemeral). */
  port?: number;
  /** AWS-compatible endpoint and control API port (default 4566; 0 = ephemeral). */
  awsPort?: number;
  /** Where the store, deployed code and runtime files live (default ./.nimbus/data). */
  dataDir?: string;
  /** SQLite file path or postgres:// URL (default <dataDir>/nimbus.db). */
  store?: string;
  /** Bearer token for the control API (default: read or created in <dataDir>/admin-token). */
  adminToken?: string;
  region?: string;
  /** Idle instances are reaped after this (default 5 minutes). */
  keepAliveMs?: number;
  /** Pre-started generic Node processes (default 2). */
  poolSize?: number;
  /** Account-wide concurrent executions (default 1000, AWS's default). */
  concurrencyLimit?: number;
  /** How often logs and metering are flushed to the store (default 100 ms). */
  flushIntervalMs?: number;
  /**
   * Verify SigV4 on the AWS endpoint (default true). False accepts any well-formed
   * signature from any key: for purely local use only.
   */
  verifySignatures?: boolean;
  /** Asynchronous invocation timings (retry delays, lease, backoff); AWS's by default. Tests shorten them. */
  async?: Partial<Omit<AsyncOptions, 'owner'>>;
  /** How long a function's init may take at least (default 10 s, Lambda's; the function timeout if longer). */
  initTimeoutMs?: number;
  /** Busy instances per function started without waiting (default 2 per core; see runtime/manager.ts). */
  eagerInstances?: number;
  /** Past eagerInstances, how long a request waits for a warm instance before starting one (default 10 ms). */
  scaleOutWaitMs?: number;
  /** DynamoDB background duties (TTL sweep interval...), mostly for tests. */
  dynamodb?: MaintenanceOptions;
  /** S3 background duties (orphan sweep interval, stale upload age) and the notification poller's timings, mostly for tests. */
  s3?: S3MaintenanceOptions & { notifications?: Pick<S3NotificationsOptions, 'leaseMs' | 'idleMs' | 'retryMs' | 'batch'> };
  /** Event source mapping pollers (retry backoff, scan interval...), mostly for tests. */
  triggers?: Partial<Pick<EventSourceMappingsOptions, 'leaseMs' | 'scanIntervalMs' | 'idlePollMs' | 'retry' | 'closeTimeoutMs'>>;
}

export interface DeployOptions {
  stage?: string;
  region?: string;
  /** Code changed (hot reload): every function gets a new version even if its config did not change. */
  codeChanged?: boolean;
}

export interface DeployResult {
  app: AppRecord;
  warnings: string[];
  /** Functions whose instances were replaced. */
  changed: string[];
}

export class Platform {
  private constructor(
    readonly opts: Required<Omit<PlatformOptions, 'store' | 'adminToken' | 'async' | 'verifySignatures' | 'initTimeoutMs' | 'dynamodb' | 'triggers' | 's3'>> & { adminToken: string },
    readonly store: Store,
    readonly runtime: RuntimeManager,
    readonly engine: InvokeEngine,
    readonly logs: LogHub,
    readonly meter: Meter,
    readonly gateway: Gateway,
    private readonly httpServer: http.Server,
    private readonly awsServer: http.Server,
    private readonly sdkDir: string,
  ) {}

  /** Asynchronous (`Event`) invocations. */
  async!: AsyncInvoker;
  /** The AWS-compatible endpoint (wire protocols, SigV4, the services). */
  aws!: AwsEndpoint;
  /** The DynamoDB service's engine (tables, items, streams). */
  dynamodb!: DynamoEngine;
  private dynamoMaintenance: DynamoMaintenance | null = null;
  /** Event source mappings (stream pollers): from apps' `stream` events and the Lambda API. */
  esm!: EventSourceMappings;
  /** The S3 service's engine (buckets, objects in blobs under the data directory). */
  s3!: S3Engine;
  private s3Notifications: S3Notifications | null = null;
  private s3Maintenance: S3Maintenance | null = null;
  /** CloudFormation resource types Nimbus can deploy, by type. */
  private providers = new Map<string, ResourceProvider>();

  /** What is deployed, per function: its spec, app and code identity. */
  private readonly fns = new Map<string, DeployedFunction>();
  private readonly apis = new Map<string, GatewayApi>();
  /** Deploys run one at a time (each reads and rewrites app records). */
  private deploying: Promise<unknown> = Promise.resolve();

  get httpUrl(): string {
    return `http://${urlHost(this.opts.host)}:${(this.httpServer.address() as AddressInfo).port}`;
  }

  get awsUrl(): string {
    return `http://${urlHost(this.opts.host)}:${(this.awsServer.address() as AddressInfo).port}`;
  }

  get adminToken(): string {
    return this.opts.adminToken;
  }

  static async start(o: PlatformOptions = {}): Promise<Platform> {
    const dataDir = path.resolve(o.dataDir ?? path.join('.nimbus', 'data'));
    fs.mkdirSync(dataDir, { recursive: true });
    const opts = {
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 3000,
      awsPort: o.awsPort ?? 4566,
      dataDir,
      region: o.region ?? 'us-east-1',
      keepAliveMs: o.keepAliveMs ?? 5 * 60_000,
      poolSize: o.poolSize ?? 2,
      concurrencyLimit: o.concurrencyLimit ?? 1000,
      flushIntervalMs: o.flushIntervalMs ?? 100,
      eagerInstances: o.eagerInstances ?? 2 * os.availableParallelism(),
      scaleOutWaitMs: o.scaleOutWaitMs ?? 10,
      adminToken: o.adminToken ?? readOrCreateToken(dataDir),
    };
    const store = await openStore({ url: o.store ?? path.join(dataDir, 'nimbus.db'), migrations: TRIGGERS_MIGRATIONS });
    const sdkDir = linkSdks(dataDir);
    const logs = new LogHub(store, opts.flushIntervalMs);
    const meter = new Meter(store, opts.flushIntervalMs);
    // Session credentials are derived from this secret: it survives restarts, like the admin token.
    const credentials = new Credentials({ secret: readOrCreateToken(dataDir, 'aws-session-secret') });
    let engineRef: InvokeEngine | null = null;
    const runtime = new RuntimeManager({
      onProvisionedLost: (fn) => engineRef?.provisionedLost(fn),
      initTimeoutMs: o.initTimeoutMs,
      // Each new instance gets its own short-lived credentials, scoped to its function.
      instanceEnv: (fn) => {
        const c = credentials.issue({ kind: 'function', functionName: fn.name }, INSTANCE_CREDENTIALS_TTL_MS);
        return { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken };
      },
      poolSize: opts.poolSize,
      keepAliveMs: opts.keepAliveMs,
      eagerInstances: opts.eagerInstances,
      scaleOutWaitMs: opts.scaleOutWaitMs,
      sdkDir,
      onLog: (fn, id, stream, text) => logs.emit(fn, id, stream, text),
    });
    const engine = (engineRef = new InvokeEngine(runtime, logs, meter, { concurrencyLimit: opts.concurrencyLimit, region: opts.region, accountId: ACCOUNT_ID }));
    const gateway = new Gateway(engine, { region: opts.region, accountId: ACCOUNT_ID });
    const httpServer = http.createServer((req, res) => gateway.handle(req, res));
    httpServer.keepAliveTimeout = 65_000;
    const awsServer = http.createServer();
    // As the gateway: SDK clients keep connections alive; a server closing idle
    // sockets at Node's default 5 s races their next request (ECONNRESET).
    awsServer.keepAliveTimeout = 65_000;
    const platform = new Platform(opts, store, runtime, engine, logs, meter, gateway, httpServer, awsServer, sdkDir);
    platform.async = new AsyncInvoker(engine, store.queue, logs, platform.asyncTargets(), {
      ...DEFAULT_ASYNC_OPTIONS,
      ...o.async,
      owner: `node-${crypto.randomUUID()}`,
    });
    platform.dynamodb = new DynamoEngine(store.documents, opts.region, ACCOUNT_ID, o.dynamodb?.itemCollectionLimitBytes);
    platform.dynamoMaintenance = new DynamoMaintenance(platform.dynamodb, o.dynamodb);
    platform.providers.set('AWS::DynamoDB::Table', dynamoTableProvider(platform.dynamodb));
    platform.s3 = new S3Engine(store.objects, new BlobStore(path.join(dataDir, 'blobs')), opts.region);
    platform.s3Maintenance = new S3Maintenance(platform.s3, o.s3);
    platform.providers.set('AWS::S3::Bucket', s3BucketProvider(platform.s3, opts.region));
    platform.providers.set('Custom::S3', customS3Provider(platform.s3));
    const functionOfArn = (arn: string): string | null => {
      const m = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(:.*)?$/.exec(arn);
      return m && platform.fns.has(m[1]!) ? m[1]! : null;
    };
    platform.s3Notifications = new S3Notifications({
      source: platform.s3,
      queue: store.queue,
      eventsQueue: S3_EVENTS_QUEUE,
      owner: `node-${crypto.randomUUID()}`,
      region: opts.region,
      invocation: (fn, payload, traceId) => platform.async.eventItem(fn, payload, traceId),
      functionOfArn,
      log: (m) => console.error(`nimbus: ${m}`),
      ...o.s3?.notifications,
    });
    platform.esm = new EventSourceMappings({
      repo: new TriggersRepo(store.db),
      invoker: engine,
      sources: [dynamoStreamSource(platform.dynamodb)],
      nodeId: `node-${crypto.randomUUID()}`,
      log: (m) => console.error(`nimbus: ${m}`),
      ...o.triggers,
    });
    platform.aws = new AwsEndpoint({
      // DynamoDB Streams before DynamoDB: they share the signing name, and the
      // later registration is the one a request without X-Amz-Target reaches.
      services: [lambdaService(new PlatformLambdaBackend(platform)), dynamoStreamsService(platform.dynamodb), dynamoDbService(platform.dynamodb),
        s3Service(platform.s3, { functionExists: (arn) => functionOfArn(arn) !== null })],
      credentials,
      region: opts.region,
      accountId: ACCOUNT_ID,
      enforceAuth: o.verifySignatures ?? true,
    });
    attachAwsEndpoint(platform, platform.aws);
    const control = new ControlApi(platform);
    awsServer.on('request', (req, res) => control.handle(req, res));
    try {
      await listen(httpServer, opts.port, opts.host);
      await listen(awsServer, opts.awsPort, opts.host);
      await platform.restoreDeployed();
      platform.async.start();
      platform.dynamoMaintenance.start();
      await platform.esm.start();
      platform.s3Maintenance.start();
      platform.s3Notifications.start();
    } catch (e) {
      await platform.close();
      throw e;
    }
    return platform;
  }

  private prepareContext(version: number): PrepareContext {
    return {
      region: this.opts.region,
      accountId: ACCOUNT_ID,
      awsEndpoint: this.awsUrl,
      sdkDir: this.sdkDir,
      version,
      // Placeholders: each instance gets freshly issued credentials when it starts (RuntimeOptions.instanceEnv).
      credentials: { accessKeyId: '', secretAccessKey: '', sessionToken: '' },
    };
  }

  /** Loads the app in `dir` and deploys it (create or reconcile). */
  async deploy(dir: string, o: DeployOptions = {}): Promise<DeployResult> {
    const stack = await loadApp(path.resolve(dir), { stage: o.stage, region: o.region ?? this.opts.region });
    return this.deployStack(stack, { codeChanged: o.codeChanged ?? false });
  }

  /**
   * Deploys (creates or reconciles) a Stack as the app `<service>-<stage>`:
   * functions whose spec changed (or all, with codeChanged) get a new version
   * and fresh instances; removed ones are deleted; routes are replaced.
   */
  deployStack(stack: Stack, o: { codeChanged?: boolean; code?: Record<string, CodeInfo> } = {}): Promise<DeployResult> {
    return this.serialized(() => this.deployNow(stack, o));
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.deploying.then(fn, fn);
    this.deploying = run.catch(() => undefined);
    return run;
  }

  private async deployNow(stack: Stack, o: { codeChanged?: boolean; code?: Record<string, CodeInfo> }): Promise<DeployResult> {
    const name = `${stack.service}-${stack.stage}`;
    const prev = await this.store.apps.get(name);
    const version = (prev?.version ?? 0) + 1;
    const warnings = [...stack.warnings];
    // Resources first (CloudFormation order): functions' environments and
    // stream events refer to them.
    const rec = await reconcileResources({
      stack,
      previous: (prev?.deployment?.resources ?? []) as DeployedResource[],
      providers: this.providers,
      pseudo: { region: this.opts.region, accountId: ACCOUNT_ID, stackName: stack.stackName ?? name },
      warn: (m) => warnings.push(m),
    });
    const deployment: AppDeployment = { resources: rec.resources, mappings: prev?.deployment?.mappings ?? [], outputs: {} };
    try {
      const resolved = resolveStackTemplates(stack, rec.resolve);
      deployment.outputs = resolved.outputs;
      const changed = await this.applyFunctions(name, stack, resolved, version, o);
      deployment.mappings = await this.reconcileMappings(name, stack, resolved, prev?.deployment?.mappings ?? []);
      const app: AppRecord = { name, stack, version, deployedAt: Date.now(), deployment };
      await this.store.apps.put(app);
      return { app, warnings, changed };
    } catch (e) {
      // Keep what the resources are now, so the next deploy reconciles from
      // there instead of creating them again.
      const keep: AppRecord = prev ? { ...prev, deployment } : { name, stack: { ...stack, functions: [], routes: [], eventSourceMappings: [] }, version, deployedAt: Date.now(), deployment };
      await this.store.apps.put(keep).catch(() => undefined);
      throw e;
    }
  }

  /** Functions and routes of one app: new versions for changed specs, removed ones deleted. Returns the changed names. */
  private async applyFunctions(name: string, stack: Stack, resolved: ResolvedStackTemplates, version: number, o: { codeChanged?: boolean; code?: Record<string, CodeInfo> }): Promise<string[]> {
    const changed: string[] = [];
    const now = Date.now();
    const next: { spec: FunctionSpec; deployed: DeployedFunction; config: FunctionConfig }[] = [];
    for (const declared of stack.functions) {
      // The environment with CloudFormation references resolved (table names, ARNs...).
      const spec: FunctionSpec = { ...declared, environment: resolved.environments[declared.name] ?? declared.environment };
      const fingerprint = JSON.stringify(spec);
      const old = this.fns.get(spec.name);
      const isChanged = o.codeChanged === true || old?.fingerprint !== fingerprint || o.code?.[spec.name] !== undefined;
      const fnVersion = isChanged || !old ? version : old.version;
      const config = await prepareFunction(spec, this.prepareContext(fnVersion));
      const code = o.code?.[spec.name] ?? (isChanged || !old ? { sha256: crypto.createHash('sha256').update(fingerprint).digest('base64'), size: 0 } : old.code);
      next.push({ spec, config, deployed: { spec, appName: name, fingerprint, version: fnVersion, updatedAt: isChanged || !old ? now : old.updatedAt, code } });
      if (isChanged) changed.push(spec.name);
    }
    const before = new Set((await this.store.functions.list(name)).map((f) => f.name));
    for (const { spec, deployed } of next) {
      await this.store.functions.put({ name: spec.name, appName: name, spec, version: deployed.version, updatedAt: deployed.updatedAt });
      before.delete(spec.name);
    }
    for (const gone of before) await this.forget(gone);
    for (const { spec, config, deployed } of next) {
      this.fns.set(spec.name, deployed);
      this.engine.setFunction(config, { reserved: spec.reservedConcurrency, provisioned: spec.provisionedConcurrency });
    }
    this.apis.set(name, { id: apiId(name), name, stage: stack.stage, routes: stack.routes, httpApiCors: stack.httpApi.cors });
    this.gateway.setApis([...this.apis.values()]);
    return changed;
  }

  /**
   * The app's `stream` events as event source mappings: one per function and
   * source, with a UUID derived from both so redeploys find it again (and keep
   * its position); those no longer declared are deleted. Returns their UUIDs.
   */
  private async reconcileMappings(app: string, stack: Stack, resolved: ResolvedStackTemplates, previous: readonly string[]): Promise<string[]> {
    const keep: string[] = [];
    for (const m of resolved.eventSourceMappings) {
      const uuid = stableUuid(`${app}\0${m.functionName}\0${m.sourceArn}`);
      const where = `${stack.definitionFile}: functions.${stack.functions.find((f) => f.name === m.functionName)?.key ?? m.functionName}.events (stream ${m.sourceArn})`;
      const input: CreateMappingInput = {
        uuid,
        functionName: m.functionName,
        functionArn: this.functionArn(m.functionName),
        eventSourceArn: m.sourceArn,
        startingPosition: m.startingPosition,
        startingPositionTimestamp: m.startingPositionTimestamp === null ? null : m.startingPositionTimestamp * 1000,
        enabled: m.enabled,
        batchSize: m.batchSize,
        maximumBatchingWindowInSeconds: m.maximumBatchingWindowInSeconds,
        maximumRetryAttempts: m.maximumRetryAttempts,
        bisectBatchOnFunctionError: m.bisectBatchOnFunctionError,
        maximumRecordAgeInSeconds: m.maximumRecordAgeInSeconds,
        parallelizationFactor: m.parallelizationFactor,
        functionResponseTypes: m.functionResponseTypes as CreateMappingInput['functionResponseTypes'],
        filterPatterns: m.filterPatterns.map((p) => JSON.stringify(p)),
        onFailureDestination: m.onFailure,
        tumblingWindowInSeconds: m.tumblingWindowInSeconds,
      };
      try {
        const existing = await this.esm.get(uuid);
        if (!existing) {
          const r = await this.esm.create(input);
          if ('conflict' in r) throw new Error(`a mapping of this function and stream already exists (${JSON.stringify(r.conflict)})`);
        } else {
          const { uuid: _u, functionArn: _a, eventSourceArn: _s, startingPosition: _p, startingPositionTimestamp: _t, ...updatable } = input;
          const same = (Object.keys(updatable) as (keyof typeof updatable)[]).every((k) => JSON.stringify(updatable[k]) === JSON.stringify(k === 'enabled' ? existing.state !== 'Disabled' && existing.state !== 'Disabling' : (existing as unknown as Record<string, unknown>)[k]));
          if (!same) await this.esm.update(uuid, updatable);
        }
      } catch (e) {
        throw new PlatformError('ERR_APP_DEPLOY', `${where}: ${(e as Error).message}`, { cause: e });
      }
      keep.push(uuid);
    }
    for (const uuid of previous) if (!keep.includes(uuid)) await this.esm.delete(uuid);
    return keep;
  }

  private async forget(fn: string): Promise<void> {
    await this.store.functions.delete(fn);
    this.engine.removeFunction(fn);
    this.fns.delete(fn);
  }

  /** The deployed state of a function, or undefined. */
  deployed(name: string): DeployedFunction | undefined {
    return this.fns.get(name);
  }

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.opts.region}:${ACCOUNT_ID}:function:${name}`;
  }

  get accountId(): string {
    return ACCOUNT_ID;
  }

  /** Changes one function's spec inside its app and redeploys that app. */
  async updateSpec(name: string, change: (s: FunctionSpec) => FunctionSpec, code?: CodeInfo): Promise<DeployedFunction> {
    return this.serialized(async () => {
      const d = this.fns.get(name);
      const app = d && (await this.store.apps.get(d.appName));
      if (!d || !app) throw new InvokeError('ResourceNotFoundException', `Function not found: ${this.functionArn(name)}`);
      const stack = structuredClone(app.stack);
      stack.functions = stack.functions.map((f) => (f.name === name ? change(f) : f));
      await this.deployNow(stack, code ? { code: { [name]: code } } : {});
      return this.fns.get(name)!;
    });
  }

  /** Deletes one function (and its routes) from its app. */
  async removeFunction(name: string): Promise<boolean> {
    return this.serialized(async () => {
      const d = this.fns.get(name);
      const app = d && (await this.store.apps.get(d.appName));
      if (!d || !app) return false;
      const stack = structuredClone(app.stack);
      stack.functions = stack.functions.filter((f) => f.name !== name);
      stack.routes = stack.routes.filter((r) => r.functionName !== name);
      await this.deployNow(stack, {});
      return true;
    });
  }

  async removeApp(name: string): Promise<boolean> {
    return this.serialized(async () => {
      const app = await this.store.apps.get(name);
      if (!app) return false;
      for (const uuid of app.deployment?.mappings ?? []) await this.esm.delete(uuid);
      for (const f of await this.store.functions.list(name)) await this.forget(f.name);
      // Resources go too, except those whose DeletionPolicy retains them.
      if (app.deployment?.resources.length) {
        await reconcileResources({
          stack: { ...app.stack, resources: [], outputs: [], eventSourceMappings: [] },
          previous: app.deployment.resources as DeployedResource[],
          providers: this.providers,
          pseudo: { region: this.opts.region, accountId: ACCOUNT_ID, stackName: app.stack.stackName ?? name },
          warn: (m) => console.error(`nimbus: ${m}`),
        });
      }
      await this.store.apps.delete(name);
      this.apis.delete(name);
      this.gateway.setApis([...this.apis.values()]);
      return true;
    });
  }

  /** After a restart: serve what the store says is deployed. */
  private async restoreDeployed(): Promise<void> {
    for (const app of await this.store.apps.list()) {
      try {
        await this.deployStack(app.stack);
      } catch (e) {
        console.error(`nimbus: could not restore app ${app.name}: ${(e as Error).message}`);
      }
    }
  }

  private asyncTargets(): AsyncTargets {
    return {
      settings: (fn) => {
        const d = this.fns.get(fn);
        return d ? { eventInvoke: d.spec.eventInvoke ?? null, deadLetterTarget: d.spec.deadLetterTarget ?? null } : null;
      },
      functionArn: (fn) => this.functionArn(fn),
      functionOfArn: (arn) => {
        const m = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(:.*)?$/.exec(arn);
        return m && this.fns.has(m[1]!) ? m[1]! : null;
      },
    };
  }

  async close(): Promise<void> {
    this.httpServer.closeAllConnections();
    this.awsServer.closeAllConnections();
    await Promise.all([closeServer(this.httpServer), closeServer(this.awsServer)]);
    await this.async?.stop();
    await this.esm?.close();
    await this.s3Notifications?.close();
    await this.s3Maintenance?.close();
    await this.s3?.close();
    await this.dynamoMaintenance?.close();
    await this.runtime.close();
    await Promise.all([this.logs.flush(), this.meter.flush()]);
    await this.store.close();
  }
}

export interface CodeInfo {
  /** Base64 SHA-256 of the deployment package (of the spec, for code deployed from a folder). */
  sha256: string;
  size: number;
}

export interface DeployedFunction {
  spec: FunctionSpec;
  appName: string;
  /** The spec as JSON: a change means new instances. */
  fingerprint: string;
  version: number;
  updatedAt: number;
  code: CodeInfo;
}

/** A UUID (version-5 layout) derived from a name: the same name, the same UUID. */
function stableUuid(name: string): string {
  const h = crypto.createHash('sha256').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function apiId(appName: string): string {
  return crypto.createHash('sha256').update(appName).digest('hex').slice(0, 10);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(e.code === 'EADDRINUSE' ? new PlatformError('ERR_PORT_IN_USE', `port ${port} on ${host} is already in use (choose another with --port / --aws-port)`) : e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

function readOrCreateToken(dataDir: string, name = 'admin-token'): string {
  const file = path.join(dataDir, name);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const token = crypto.randomBytes(24).toString('base64url');
    fs.writeFileSync(file, token + '\n', { mode: 0o600 });
    return token;
  }
}

/**
 * A node_modules holding only the AWS SDKs (links to Nimbus' own copies), put on
 * function instances' NODE_PATH so function code can use the SDKs without
 * installing them, and nothing else of Nimbus' dependencies leaks in.
 */
function linkSdks(dataDir: string): string {
  const sdkDir = path.join(dataDir, 'runtime', 'sdk');
  const nm = path.join(sdkDir, 'node_modules');
  fs.mkdirSync(nm, { recursive: true });
  const targets: Record<string, string> = {
    'aws-sdk': path.dirname(require.resolve('aws-sdk/package.json')),
    '@aws-sdk': path.dirname(path.dirname(require.resolve('@aws-sdk/client-lambda/package.json'))),
  };
  for (const [name, target] of Object.entries(targets)) {
    const link = path.join(nm, name);
    let current: string | null = null;
    try {
      current = fs.readlinkSync(link);
    } catch {
      /* missing */
    }
    if (current !== target) {
      fs.rmSync(link, { recursive: true, force: true });
      fs.symlinkSync(target, link, 'dir');
    }
  }
  return sdkDir;
}
