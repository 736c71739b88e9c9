import type { Deps } from '../../deps.js';
import { invalid, notFound } from '../../errors.js';
import { execTarget } from '../target.js';
import { relayToWeb } from './download-body.js';
import { EXEC_DOWNLOAD_MIN_BYTES, hasTail, TAIL_SEEK_BYTES, tailBody, tailPieces } from './download-exec.js';
import { baseOf, sandboxPath } from './paths.js';
import { rangeOf, type ByteRange } from './range.js';
import { followLinks } from './resolve.js';
import { firstEntry } from './tar.js';

export type Download =
  { kind: 'ok'; name: string; size: number; range?: ByteRange; body: ReadableStream<Uint8Array> } | { kind: 'unsatisfiable'; size: number };

/**
 * GET /files/download: the file's bytes (following a symlink at the end, as open(2) would), from the single
 * entry of the file's archive, whose own header gives the size, so the length always matches the bytes sent.
 * The archive is read at the engine's speed whatever the client does (`relayToWeb`: an open archive holds the
 * container's lock). For a big file in a running sandbox whose image has tail, a client that falls behind is
 * handed to the sandbox's own tail for the rest (an exec holds no lock, so the client paces it and nothing
 * spills); a range that starts far into such a file is read by tail from its start. Otherwise (a paused
 * sandbox, an image without tail) a range is served by reading and discarding up to its start (the archive
 * API cannot seek), and what the client has not taken yet waits in memory and then in a spill file.
 */
export async function downloadFile(
  deps: Pick<Deps, 'db' | 'config' | 'exec' | 'metrics'>,
  sandboxId: string,
  raw: string | undefined,
  rangeHeader: string | undefined,
): Promise<Download> {
  if (raw === undefined || raw === '') throw invalid('MISSING_QUERY', 'Missing query parameter: path.');
  const { containerId, paused } = await execTarget(deps, sandboxId, { allowPaused: true });
  const target = await followLinks(deps.exec, containerId, sandboxPath(raw));
  if (!target.stat) throw notFound('FILE_NOT_FOUND', `No such file: ${raw}`);
  if (target.stat.kind !== 'file') throw invalid('INVALID_REQUEST_BODY', `Not a regular file: ${raw}`);
  const name = baseOf(sandboxPath(raw));
  const done = (sent: number) => deps.metrics.execdFileBytes('download', sent);
  const statAnswer = rangeOf(rangeHeader, target.stat.size);
  const wanted = statAnswer.kind === 'partial' ? statAnswer.range : { start: 0, end: target.stat.size - 1 };
  const byTail =
    !paused && statAnswer.kind !== 'unsatisfiable' && wanted.end - wanted.start + 1 >= EXEC_DOWNLOAD_MIN_BYTES && (await hasTail(deps.exec, containerId));
  if (byTail && wanted.start >= TAIL_SEEK_BYTES) {
    const range = statAnswer.kind === 'partial' ? statAnswer.range : undefined;
    const body = await tailBody(deps.exec, containerId, target.path, { start: wanted.start, length: wanted.end - wanted.start + 1 }, done);
    if (body) return { kind: 'ok', name, size: target.stat.size, ...(range && { range }), body };
  }
  const abort = new AbortController();
  const entry = await firstEntry(await deps.exec.readArchive(containerId, target.path, abort.signal));
  if (!entry || entry.header.type !== 'file') {
    entry?.close();
    throw notFound('FILE_NOT_FOUND', `No such file: ${raw}`);
  }
  const size = entry.header.size ?? 0;
  const answer = rangeOf(rangeHeader, size);
  if (answer.kind === 'unsatisfiable') {
    entry.close();
    return { kind: 'unsatisfiable', size };
  }
  const range = answer.kind === 'partial' ? answer.range : undefined;
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : size;
  const release = () => {
    entry.close();
    abort.abort();
  };
  const handover = byTail ? (offset: number, rest: number) => tailPieces(deps.exec, containerId, target.path, { start: offset, length: rest }) : undefined;
  const body = relayToWeb(entry.data, { start, length }, { release, window: deps.config.execdDownloadMemoryBytes, done, handover });
  return { kind: 'ok', name, size, ...(range && { range }), body };
}
