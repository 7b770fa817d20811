/**
 * Loads a Serverless Framework v3 app: finds its definition, parses it, resolves
 * variables, validates and compiles it into the Stack model.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PlatformError } from '../errors';
import { DefinitionContext, isPlainObject } from './serverless/context';
import { compileStack } from './serverless/compile';
import { loadDotenv } from './serverless/dotenv';
import { parseDefinitionText } from './serverless/parse';
import { resolveVariables } from './serverless/variables';
import { validateDefinition } from './serverless/validate';
import type { Stack } from './stack';

export { resolveHandler } from './handler';

export interface LoadAppOptions {
  /** `--stage`: wins over provider.stage; default `dev`. */
  stage?: string;
  /** `--region`: wins over provider.region; default `us-east-1`. */
  region?: string;
  /** Environment for `${env:...}`; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Definition files, in the framework's order of preference. */
export const DEFINITION_FILES: readonly string[] = ['serverless.yml', 'serverless.yaml', 'serverless.json'];
const UNSUPPORTED_DEFINITION_FILES = ['serverless.js', 'serverless.cjs', 'serverless.mjs', 'serverless.ts'];

/** The account id `${aws:accountId}` resolves to (and Nimbus's ARNs use). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The definition file's name in `appDir`; ERR_APP_NOT_FOUND when there is none. */
export async function findDefinitionFile(appDir: string): Promise<string> {
  let entries: string[];
  try {
    entries = await fs.readdir(appDir);
  } catch {
    throw new PlatformError('ERR_APP_NOT_FOUND', `app directory ${appDir} does not exist or is not a directory`);
  }
  const found = DEFINITION_FILES.find((f) => entries.includes(f));
  if (found) return found;
  const unsupported = UNSUPPORTED_DEFINITION_FILES.find((f) => entries.includes(f));
  const hint = unsupported ? ` (${unsupported} is not supported yet)` : '';
  throw new PlatformError('ERR_APP_NOT_FOUND', `no ${DEFINITION_FILES.join(', ')} in ${appDir}${hint}`);
}

export interface ResolvedDefinition {
  appDir: string;
  definitionFile: string;
  /** The parsed definition with every variable resolved (intrinsics and `resources` kept as parsed). */
  config: Record<string, unknown>;
  ctx: DefinitionContext;
}

/** Finds, parses and resolves the variables of the app definition in `dir`. */
export async function readServerlessDefinition(dir: string, opts: LoadAppOptions = {}): Promise<ResolvedDefinition> {
  const appDir = path.resolve(dir);
  const definitionFile = await findDefinitionFile(appDir);
  const ctx: DefinitionContext = new DefinitionContext(definitionFile);
  const text = await fs.readFile(path.join(appDir, definitionFile), 'utf8');
  const parsed = parseDefinitionText(text, definitionFile);
  if (parsed === null || parsed === undefined) ctx.invalid([], 'is empty');
  if (!isPlainObject(parsed)) ctx.invalid([], 'must be a mapping with service, provider and functions', { value: parsed });

  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  if (parsed.useDotenv === true) {
    const provider = isPlainObject(parsed.provider) ? parsed.provider : {};
    const rawStage = typeof provider.stage === 'string' && !provider.stage.includes('${') ? provider.stage : null;
    const dotenv = loadDotenv(appDir, opts.stage || rawStage || 'dev');
    for (const [k, v] of Object.entries(dotenv.values)) if (env[k] === undefined) env[k] = v;
  }

  const config = resolveVariables(parsed, ctx, {
    appDir,
    stage: opts.stage,
    region: opts.region,
    env,
    instanceId: Date.now().toString(),
    accountId: LOCAL_ACCOUNT_ID,
  });
  return { appDir, definitionFile, config, ctx };
}

/** Loads the Serverless Framework v3 app in `dir` into a Stack. */
export async function loadApp(dir: string, opts: LoadAppOptions = {}): Promise<Stack> {
  const { appDir, definitionFile, config, ctx } = await readServerlessDefinition(dir, opts);
  const def = validateDefinition(ctx, config);
  return compileStack(ctx, def, { appDir, definitionFile, stage: opts.stage, region: opts.region });
}
