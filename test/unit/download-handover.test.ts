import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { relayToWeb } from '../../src/domain/execd/files/download-body.js';
import type { Pieces } from '../../src/domain/execd/files/piece-stream.js';
import { openSpills } from '../helpers/spill-files.js';

// The archive relay with a handover (a big download in a sandbox whose image has tail): while the client keeps
// up, the archive's bytes; once it falls behind by the window, the archive is let go and the rest comes from a
// reader the client paces. The seam must be exact wherever it falls, and nothing may spill to disk.
const FILE = randomBytes(3 * 1024 * 1024 + 777);
const WINDOW = 256 * 1024;

/** An engine archive entry: the file's bytes in the engine's uneven pieces, as fast as it can. */
function archiveOf(file: Buffer): PassThrough {
  const src = new PassThrough({ highWaterMark: 1 << 30 });
  for (let at = 0; at < file.length;) {
    const n = 1 + Math.floor(Math.random() * 70_000);
    src.write(file.subarray(at, at + n));
    at += n;
  }
  return src; // never ended: an archive entry ends with the tar, after the wanted bytes
}

/** The handover's reader over the same file, recording where it was asked to start and whether it was stopped. */
function tailOver(file: Buffer, log: { calls: Array<{ offset: number; length: number }>; stopped: number; releasedFirst: boolean[] }, released: () => boolean) {
  return async (offset: number, length: number): Promise<Pieces> => {
    log.calls.push({ offset, length });
    log.releasedFirst.push(released());
    let at = offset;
    return {
      next: async () => {
        if (at >= offset + length) return null;
        const piece = file.subarray(at, Math.min(at + 100_000, offset + length));
        at += piece.length;
        return Buffer.from(piece);
      },
      stop: () => void log.stopped++,
    };
  };
}

async function readSlowly(body: ReadableStream<Uint8Array>, firstPauseMs: number): Promise<Buffer> {
  const reader = body.getReader();
  const parts: Buffer[] = [];
  let first = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(Buffer.from(value));
    if (first) await new Promise((r) => setTimeout(r, firstPauseMs)); // the client lags: the archive outruns it
    first = false;
  }
}

describe('a download relay with a handover', () => {
  for (const [name, range] of [
    ['the whole file', { start: 0, length: FILE.length }],
    ['a range inside it', { start: 12_345, length: 2 * 1024 * 1024 + 3 }],
  ] as const) {
    it(`hands a lagging client to the paced reader at the exact byte, lets the archive go first, spills nothing: ${name}`, async () => {
      let released = false;
      const log = { calls: [] as Array<{ offset: number; length: number }>, stopped: 0, releasedFirst: [] as boolean[] };
      let sent = -1;
      const body = relayToWeb(archiveOf(FILE), range, {
        release: () => void (released = true),
        done: (n) => void (sent = n),
        window: WINDOW,
        handover: tailOver(FILE, log, () => released),
      });
      const got = await readSlowly(body, 50);
      expect(got.equals(FILE.subarray(range.start, range.start + range.length))).toBe(true);
      expect(log.calls).toHaveLength(1);
      const [call] = log.calls;
      expect(call!.offset).toBeGreaterThan(range.start); // the archive gave the first part
      expect(call!.offset - range.start).toBeLessThanOrEqual(WINDOW + 70_000); // and no more than the window ahead
      expect(call!.offset + call!.length).toBe(range.start + range.length);
      expect(log.releasedFirst).toEqual([true]); // the container's lock was let go before the reader started
      expect(openSpills()).toEqual([]);
      await new Promise((r) => setImmediate(r));
      expect(sent).toBe(range.length);
    });
  }

  it('serves a client that keeps up from the archive alone', async () => {
    let released = false;
    const log = { calls: [] as Array<{ offset: number; length: number }>, stopped: 0, releasedFirst: [] as boolean[] };
    const small = FILE.subarray(0, WINDOW - 1);
    const body = relayToWeb(
      archiveOf(small),
      { start: 0, length: small.length },
      {
        release: () => void (released = true),
        done: () => {},
        window: WINDOW,
        handover: tailOver(small, log, () => released),
      },
    );
    expect((await readSlowly(body, 0)).equals(small)).toBe(true);
    expect(log.calls).toEqual([]);
    expect(released).toBe(true);
  });

  it('stops the paced reader when the client goes away after the handover', async () => {
    let released = false;
    const log = { calls: [] as Array<{ offset: number; length: number }>, stopped: 0, releasedFirst: [] as boolean[] };
    const body = relayToWeb(
      archiveOf(FILE),
      { start: 0, length: FILE.length },
      {
        release: () => void (released = true),
        done: () => {},
        window: WINDOW,
        handover: tailOver(FILE, log, () => released),
      },
    );
    await new Promise((r) => setTimeout(r, 50)); // the archive runs ahead of a client that has read nothing
    expect(log.calls).toHaveLength(1);
    await body.cancel();
    await new Promise((r) => setImmediate(r));
    expect(log.stopped).toBe(1);
  });

  it('errors the stream (a cut-off transfer, never a short body) when the paced reader cannot start', async () => {
    const body = relayToWeb(
      archiveOf(FILE),
      { start: 0, length: FILE.length },
      {
        release: () => {},
        done: () => {},
        window: WINDOW,
        handover: async () => {
          throw new Error('the sandbox stopped');
        },
      },
    );
    await expect(readSlowly(body, 50)).rejects.toThrow('the sandbox stopped');
  });
});
