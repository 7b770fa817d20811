/**
 * `nimbus start` in a child process (so a test can `kill -9` it): resolves
 * once it prints its AWS endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from './nimbus';

export interface ServerProcess {
  proc: ChildProcess;
  awsUrl: string;
}

export function startServerProcess(dataDir: string, store: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'nimbus.js'), 'start', '--port', '0', '--aws-port', '0', '--data-dir', dataDir, '--store', store], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nimbus start did not come up:\n${out}`)), 20_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /AWS endpoint\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, awsUrl: m[1]! });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('exit', (code) => reject(new Error(`nimbus start exited with ${code}:\n${out}`)));
  });
}
