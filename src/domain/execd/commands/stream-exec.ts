import type { Readable } from 'node:stream';
import type { Deps } from '../../deps.js';
import type { ExecHandle } from '../port.js';
import type { ExecTarget } from '../target.js';
import { hostPidOf } from './exec-pid.js';
import { LineSplitter } from './lines.js';
import { commandOutcome, finalEvent } from './outcome.js';
import { getCommandRow, markKilledByBerth, recordEngineExit, recordExec, type ExecdCommandRow } from './rows.js';
import type { CommandKind, EventSink, ExecEvent } from './types.js';

type D = Pick<Deps, 'db' | 'clock' | 'exec' | 'metrics' | 'log'>;

/** Idle streams get a ping this often, so proxies and clients do not time them out (upstream: 3 s). */
export const PING_INTERVAL_MS = 3000;
/**
 * Node fires a longer setTimeout at once (a 30-day timeout killed the command as it started). A longer
 * timeout is the deadline loop's (expire.ts): the deadline is in the command's record either way.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type StreamOptions = {
  kind: CommandKind;
  target: ExecTarget;
  row: ExecdCommandRow;
  /** started already (so a refusal by the engine was still a plain JSON error), not yet read */
  handle: ExecHandle;
  sink: EventSink;
  /** the init event's text: the command id, or the session id for session runs */
  initText: string;
  timeoutMs?: number;
  /** 'collect': stderr is not streamed but returned (a session run's state trailer) */
  stderr: 'emit' | 'collect';
  /** with 'collect': beyond this many bytes nothing is kept and '' is returned (the state is not saved) */
  collectMaxBytes?: number;
};

/**
 * Run one attached exec to its end: init once the host pid is known, one event per output line in the order
 * the lines arrived, a ping while idle, the timeout as a SIGKILL of the process group, then exactly one
 * closing event. The command's record is finished before the closing event is sent.
 */
export async function streamExec(deps: D, o: StreamOptions): Promise<{ exitCode: number | null; stderr: string }> {
  const started = deps.clock.now().getTime();
  const handle = o.handle;
  // Listeners first, before any await (the demuxed streams buffer until then; the pid wait is an await).
  const out = pump(handle, o);
  // The exec id is recorded before init: an interrupt from any berth process finds the process group through
  // it (hostPidOf waits for the engine to report the pid, which it does only once runc started the process).
  // Recorded, not only sent: with the two in parallel a client could hold the command id (init) and interrupt
  // while the record had no exec id yet, which signalled nothing and let the command run on. The command is
  // running meanwhile, so this costs its first byte one database round trip, not its end. Nothing polls for
  // the pid on the way: most commands are never signalled.
  await recordExec(deps, o.row.id, handle.execId, 0);
  await o.sink.emit({ type: 'init', text: o.initText, timestamp: deps.clock.now().getTime() });
  out.open();

  const ping = setInterval(() => out.enqueue([{ type: 'ping', text: 'pong', timestamp: Date.now() }]), PING_INTERVAL_MS);
  const timer =
    o.timeoutMs && o.timeoutMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          void markKilledByBerth(deps, o.row.id, `timeout after ${o.timeoutMs} ms`)
            .then(async () => deps.exec.signalGroup(await hostPidOf(deps.exec, { hostPid: 0, execId: handle.execId }), 'SIGKILL'))
            .catch(() => {});
        }, o.timeoutMs)
      : undefined;
  try {
    await handle.ended;
    clearInterval(ping); // no ping may follow the closing event
    await out.drained();
  } finally {
    clearInterval(ping);
    if (timer) clearTimeout(timer);
  }

  const engine = await deps.exec.inspect(handle.execId).catch(() => null);
  const finished = (await recordEngineExit(deps, o.row.id, engine?.exitCode ?? null)) ?? (await getCommandRow(deps, o.row.id));
  const exitCode = finished?.exitCode ?? null;
  const errorText = finished?.error ?? null;
  const now = deps.clock.now().getTime();
  deps.metrics.execdCommand(o.kind, commandOutcome(exitCode), (now - started) / 1000);
  await o.sink.emit(finalEvent(exitCode, errorText, started, now));
  return { exitCode, stderr: out.collected() };
}

/**
 * Output to events. Lines queue up until `open()` (init goes first); each source pauses while its lines are
 * written, so a slow client slows the command's output instead of filling berth's memory.
 */
function pump(handle: ExecHandle, o: StreamOptions) {
  let chain: Promise<void> = Promise.resolve();
  let opened: () => void = () => {};
  const gate = new Promise<void>((r) => (opened = r));
  const collected: Buffer[] = [];
  let collectedBytes = 0;
  const enqueue = (events: ExecEvent[]) => {
    const next = chain
      .then(() => gate)
      .then(async () => {
        for (const e of events) await o.sink.emit(e);
      });
    chain = next.catch(() => {});
    return chain;
  };
  const attach = (stream: Readable, type: 'stdout' | 'stderr') => {
    if (type === 'stderr' && o.stderr === 'collect') {
      const max = o.collectMaxBytes ?? Infinity;
      stream.on('data', (c: Buffer) => {
        collectedBytes += c.length;
        if (collectedBytes <= max) collected.push(c);
        else collected.length = 0;
      });
      return;
    }
    const lines = new LineSplitter();
    const toEvents = (texts: string[]) => texts.map((text) => ({ type, text, timestamp: Date.now() }) as ExecEvent);
    stream.on('data', (c: Buffer) => {
      const events = toEvents(lines.push(c));
      if (events.length === 0) return;
      stream.pause();
      void enqueue(events).then(() => stream.resume());
    });
    stream.on('end', () => void enqueue(toEvents(lines.end())));
  };
  attach(handle.stdout, 'stdout');
  attach(handle.stderr, 'stderr');
  return {
    open: () => opened(),
    enqueue,
    // the 'end' handlers enqueue last lines synchronously, so after `ended` the chain holds everything
    drained: async () => {
      await new Promise((r) => setImmediate(r));
      await chain;
    },
    collected: () => Buffer.concat(collected).toString('utf8'),
  };
}
