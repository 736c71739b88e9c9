import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import type { Deps } from '../../deps.js';
import { invalid, isDomainError } from '../../errors.js';
import { execTarget } from '../target.js';
import { findCommand } from './rows.js';
import { backgroundLogBound } from './run.js';

type D = Pick<Deps, 'db' | 'config' | 'exec'>;

/**
 * GET /command/{id}/logs?cursor=N: the background command's combined output from byte N, read from its
 * file inside the sandbox (so it outlives any berth process), at most `execdMaxLogChunkBytes` per call;
 * the returned cursor continues where this read stopped. Upstream answers 400 for a foreground command.
 * `truncated`: the file has reached `execdMaxBackgroundLogBytes` (rounded down to 512 bytes), where the sandbox stops keeping output
 * (DESIGN.md execd §4.2); the file's size comes with its tar header, so saying so costs nothing.
 */
export async function commandLogs(deps: D, sandboxId: string, id: string, cursor: number): Promise<{ output: Buffer; cursor: number; truncated: boolean }> {
  const row = await findCommand(deps, sandboxId, id);
  if (row.kind !== 'background' || !row.logPath) throw invalid('INVALID_REQUEST_BODY', `Command ${id} is not a background command.`);
  const target = await execTarget(deps, sandboxId, { allowPaused: true });
  let tar: Readable;
  try {
    tar = await deps.exec.readArchive(target.containerId, row.logPath);
  } catch (e) {
    // nothing written yet (or the sandbox's /tmp was cleaned): no output so far
    if (isDomainError(e) && e.kind === 'not_found') return { output: Buffer.alloc(0), cursor, truncated: false };
    throw e;
  }
  const { output, size } = await sliceFirstEntry(tar, cursor, deps.config.execdMaxLogChunkBytes);
  return { output, cursor: cursor + output.length, truncated: size >= backgroundLogBound(deps.config.execdMaxBackgroundLogBytes) };
}

/** Bytes [from, from+max) of the tar's first entry and its size, streamed: the rest of the file is never buffered. */
function sliceFirstEntry(tar: Readable, from: number, max: number): Promise<{ output: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const ex = extract();
    const chunks: Buffer[] = [];
    let seen = 0;
    let taken = 0;
    let done = false;
    let size = 0;
    const finish = () => {
      if (done) return;
      done = true;
      tar.destroy();
      resolve({ output: Buffer.concat(chunks), size });
    };
    ex.on('entry', (header, stream, next) => {
      size = header.size ?? 0;
      stream.on('data', (c: Buffer) => {
        const start = Math.max(0, from - seen);
        seen += c.length;
        if (start >= c.length || taken >= max) return;
        const part = c.subarray(start, start + (max - taken));
        chunks.push(part);
        taken += part.length;
        if (taken >= max) finish();
      });
      stream.on('end', finish);
      stream.on('error', reject);
      void next;
    });
    ex.on('finish', finish);
    ex.on('error', (e) => (done ? undefined : reject(e)));
    tar.on('error', (e) => (done ? undefined : reject(e)));
    tar.pipe(ex);
  });
}
