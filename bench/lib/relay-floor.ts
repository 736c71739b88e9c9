import { spawn } from 'node:child_process';
import { stubSandbox } from './sdk-floor.js';

/** The relay of relay-floor-server.ts in its own process, and an SDK sandbox handle on it. */
export async function startRelayFloor(
  containerId: string,
): Promise<{ pid: number; download(path: string): Promise<number>; upload(data: AsyncIterable<Uint8Array>): Promise<void>; close(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./relay-floor-server.ts', import.meta.url).pathname], {
    env: { ...process.env, RELAY_CONTAINER: containerId },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay floor exited with ${code}`)));
    child.stdout.on('data', (b: Buffer) => {
      const m = /listening (\d+)/.exec(b.toString());
      if (m) resolve(m[1]!);
    });
  });
  const sbx = await stubSandbox(`127.0.0.1:${port}`);
  return {
    pid: child.pid!,
    download: async (path) => (await sbx.files.readBytes(path)).length,
    upload: (data) => sbx.files.writeFiles([{ path: '/tmp/relay-upload.bin', data }]),
    close: () => void child.kill(),
  };
}
