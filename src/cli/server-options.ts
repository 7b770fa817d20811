/** Options of the commands that run Nimbus in this process (`dev`, `start`). */
import * as path from 'node:path';
import type { PlatformOptions } from '../platform';
import { flag, int, str, type OptionsConfig, type Parsed } from './args';
import type { Io } from './io';

export const SERVER_OPTIONS: OptionsConfig = {
  port: { type: 'string' },
  'aws-port': { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  region: { type: 'string' },
  'keep-alive': { type: 'string' },
  'pool-size': { type: 'string' },
  concurrency: { type: 'string' },
  'eager-instances': { type: 'string' },
  'scale-out-wait': { type: 'string' },
  'no-verify-signatures': { type: 'boolean' },
};

export const SERVER_OPTIONS_HELP = `
Server:
  --port N            HTTP API port (default 3000; 0 picks a free one)
  --aws-port N        AWS endpoint and control API port (default 4566; 0 picks a free one)
  --host ADDR         interface to listen on (default 127.0.0.1)
  --data-dir DIR      store, deployed code and admin token (default DATADIR)
  --store URL         SQLite file path or postgres:// URL (default <data-dir>/nimbus.db)
  --region NAME       AWS region reported to functions (default us-east-1)
  --keep-alive SECS   idle instances are stopped after this (default 300)
  --pool-size N       pre-started runtime processes (default 2)
  --concurrency N     account-wide concurrent executions (default 1000)
  --eager-instances N busy instances per function started without waiting (default 2 per core)
  --scale-out-wait MS past that, how long requests wait for a warm instance first (default 10)
  --no-verify-signatures  accept any well-formed SigV4 signature from any key (local use only)`;

export function serverOptions(p: Parsed, command: string, io: Io, defaultDataDir: string): PlatformOptions {
  const keepAlive = int(p, command, 'keep-alive', 1, 7 * 24 * 3600);
  const region = str(p, 'region');
  const token = io.env.NIMBUS_ADMIN_TOKEN;
  return {
    host: str(p, 'host'),
    port: int(p, command, 'port', 0, 65535),
    awsPort: int(p, command, 'aws-port', 0, 65535),
    dataDir: path.resolve(io.cwd, str(p, 'data-dir') ?? defaultDataDir),
    store: str(p, 'store'),
    region,
    keepAliveMs: keepAlive === undefined ? undefined : keepAlive * 1000,
    poolSize: int(p, command, 'pool-size', 0, 256),
    concurrencyLimit: int(p, command, 'concurrency', 1, 1_000_000),
    eagerInstances: int(p, command, 'eager-instances', 1, 10_000),
    scaleOutWaitMs: int(p, command, 'scale-out-wait', 0, 60_000),
    verifySignatures: flag(p, 'no-verify-signatures') ? false : undefined,
    adminToken: token ? token : undefined,
  };
}

/**
 * Resolves when the command should stop: SIGINT/SIGTERM, or the caller's abort
 * signal. The returned function removes the signal handlers again.
 */
export function untilStopped(io: Io): { stopped: Promise<string>; dispose: () => void } {
  let dispose = (): void => undefined;
  const stopped = new Promise<string>((resolve) => {
    const onSig = (sig: NodeJS.Signals): void => resolve(sig);
    const onAbort = (): void => resolve('abort');
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    if (io.signal?.aborted) resolve('abort');
    dispose = () => {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      io.signal?.removeEventListener('abort', onAbort);
    };
  });
  return { stopped, dispose };
}
