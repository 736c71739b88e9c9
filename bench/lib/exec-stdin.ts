import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';

/**
 * An exec of `dd of=<path>` in the container with its stdin attached (the one way into a sandbox that needs no
 * size before the data). `pipe` sends a stream into it and settles once dd has written all of it and the exec
 * has ended.
 */
export async function ddStdin(container: Docker.Container, path: string): Promise<{ pipe(source: Readable): Promise<void> }> {
  const exec = await container.exec({ Cmd: ['dd', `of=${path}`, 'bs=1048576'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const socket = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
  return {
    pipe: async (source) => {
      socket.resume();
      const ended = new Promise((resolve) => socket.once('end', resolve));
      await new Promise<void>((resolve, reject) => {
        source
          .once('error', reject)
          .once('end', () => (socket.end(), resolve()))
          .pipe(socket, { end: false });
      });
      await ended;
      while ((await exec.inspect()).Running) await new Promise((resolve) => setTimeout(resolve, 1));
    },
  };
}
