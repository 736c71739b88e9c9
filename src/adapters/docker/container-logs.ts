import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import type { ContainerLogs, LogChunk } from '../../domain/sandbox/logs-port.js';
import { sandboxNotFound } from '../../domain/errors.js';
import { dockerStatus } from './docker-errors.js';

/**
 * Container logs over the Engine API. Sandboxes run without a TTY, so the stream is multiplexed: demuxed
 * into stdout and stderr before anything else reads it (DESIGN.md execd §8: demux before any await).
 */
export function createDockerLogs(socketPath: string): ContainerLogs {
  const docker = new Docker({ socketPath });
  return {
    async *stream(containerId, opts) {
      let raw: Readable;
      try {
        raw = (await docker.getContainer(containerId).logs({
          follow: opts.follow as true,
          stdout: true,
          stderr: true,
          tail: opts.tail,
          abortSignal: opts.signal,
        })) as unknown as Readable;
      } catch (err) {
        if (dockerStatus(err) === 404) throw sandboxNotFound(containerId);
        throw err;
      }
      const out = new PassThrough();
      const errs = new PassThrough();
      docker.modem.demuxStream(raw, out, errs);
      const queue: LogChunk[] = [];
      let wake: (() => void) | null = null;
      let ended = false;
      const push = (channel: LogChunk['channel']) => (b: Buffer) => {
        queue.push({ channel, text: b.toString('utf8') });
        wake?.();
      };
      out.on('data', push('stdout'));
      errs.on('data', push('stderr'));
      const end = () => {
        ended = true;
        wake?.();
      };
      raw.once('end', end);
      raw.once('close', end);
      raw.once('error', end);
      opts.signal.addEventListener('abort', () => (raw.destroy(), end()), { once: true });
      try {
        while (true) {
          while (queue.length > 0) yield queue.shift()!;
          if (ended) return;
          await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      } finally {
        raw.destroy();
      }
    },
  };
}
