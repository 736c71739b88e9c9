import type { Deps } from '../../deps.js';
import type { ExecHandle, ExecSpec } from '../port.js';
import { waitForPid } from './exec-pid.js';
import { prepareCommand, userOf } from './prepare.js';
import { recordAndStart, recordExec } from './rows.js';
import { streamExec } from './stream-exec.js';
import type { CommandInput, EventSink } from './types.js';

type D = Pick<Deps, 'db' | 'clock' | 'ids' | 'config' | 'exec' | 'metrics' | 'log'>;

/** A validated command, ready to stream: everything that can fail as a plain 4xx has been checked. */
export type PreparedCommand = { run: (sink: EventSink) => Promise<void> };

/**
 * POST /command. Foreground: the exec's output streams as events until it exits. Background: the command
 * writes its combined output to a file inside the sandbox (so it outlives berth and survives a restart),
 * the stream says init + execution_complete at once, and /logs reads the file back through the archive API.
 */
export async function startCommand(deps: D, sandboxId: string, input: CommandInput): Promise<PreparedCommand> {
  const target = await prepareCommand(deps, sandboxId, input);
  const base: Omit<ExecSpec, 'cmd'> = { env: input.envs, ...(input.cwd !== undefined && { cwd: input.cwd }), user: userOf(input) };
  if (!input.background) {
    const { row, handle } = await recordAndStart(
      deps,
      { sandboxId, command: input.command, kind: 'foreground', timeoutMs: input.timeoutMs },
      () => deps.exec.start(target.containerId, { ...base, cmd: ['/bin/sh', '-c', input.command] }),
      (h) => stopExec(deps, h),
    );
    return {
      run: async (sink) => {
        await streamExec(deps, { kind: 'foreground', target, row, handle, sink, initText: row.id, timeoutMs: input.timeoutMs, stderr: 'emit' });
      },
    };
  }
  const id = deps.ids.prefixed('cmd');
  const logPath = backgroundLogPath(id);
  const { row, handle } = await recordAndStart(
    deps,
    { id, sandboxId, command: input.command, kind: 'background', timeoutMs: input.timeoutMs, logPath },
    () => deps.exec.start(target.containerId, { ...base, cmd: backgroundCmd(logPath, input.command, deps.config.execdMaxBackgroundLogBytes), detach: true }),
    (h) => stopExec(deps, h),
  );
  return {
    run: async (sink) => {
      await recordExec(deps, row.id, handle.execId, 0, logPath);
      const now = deps.clock.now().getTime();
      await sink.emit({ type: 'init', text: row.id, timestamp: now });
      await sink.emit({ type: 'execution_complete', execution_time: 0, timestamp: now });
      // after the answer: the pid, for interrupts and the timeout loop (which can also ask the engine)
      const status = await waitForPid(deps.exec, handle.execId);
      if (status?.hostPid) await recordExec(deps, row.id, handle.execId, status.hostPid);
    },
  };
}

/** A command berth could not record must not run: kill its process group and let go of its output. */
export async function stopExec(deps: Pick<Deps, 'exec'>, handle: ExecHandle): Promise<void> {
  const status = await waitForPid(deps.exec, handle.execId);
  if (status?.hostPid) deps.exec.signalGroup(status.hostPid, 'SIGKILL');
  handle.detach();
}

export const backgroundLogPath = (commandId: string) => `/tmp/.berth-cmd-${commandId}.log`;

/**
 * The command, the log path and the bound travel as positional arguments, never spliced into the script: any
 * bytes in the command stay the command's. stdin is /dev/null; both streams go into a FIFO whose reader, a
 * `cat` under `ulimit -f` (the shell's own builtin; the kernel cuts its writes at the file size limit and it
 * ignores SIGXFSZ, so it stops with EFBIG), appends to the log; a second `cat >/dev/null` drains the rest, so
 * output past the bound is dropped and never blocks or kills the command (DESIGN.md execd §4.2). `cat`
 * copies with read/write as output arrives (busybox's `head -c` would hold up to 4 KiB in stdio until it
 * exits, so a log being polled would lag). The wrapper then `exec`s the command: the exec's process stays the
 * command's (its exit code is the command's, berth's kill of its process group takes the reader too, and the
 * status ends when the command does, not when a child it left behind closes its output). The reader ignores
 * SIGTERM, so what a command writes while an interrupt stops it is still kept. The log is created first, so
 * the reader's open of it cannot fail after the FIFO has joined the two. An image whose shell has no
 * `ulimit -f`, or without `cat` or `mkfifo`, gets the unbounded append berth used before.
 */
const BACKGROUND_WRAPPER = [
  'exec </dev/null',
  'if : >>"$1" 2>/dev/null && (ulimit -f 1) 2>/dev/null && cat </dev/null >/dev/null 2>&1 && mkfifo -m 600 "$1.fifo" 2>/dev/null; then',
  '{ trap "" TERM XFSZ; (ulimit -f "$3" && exec cat); exec cat >/dev/null; } <"$1.fifo" >>"$1" 2>/dev/null &',
  'exec >"$1.fifo" 2>&1; rm -f "$1.fifo"',
  'else exec >>"$1" 2>&1; fi',
  'exec /bin/sh -c "$2"',
].join('\n');

/** `ulimit -f` counts 512-byte blocks in POSIX shells (dash, busybox ash, bash as sh): the bound is rounded down to one. */
export const backgroundLogBound = (maxBytes: number) => Math.max(1, Math.floor(maxBytes / 512)) * 512;

export const backgroundCmd = (logPath: string, command: string, maxBytes: number) => [
  '/bin/sh',
  '-c',
  BACKGROUND_WRAPPER,
  'berth-background',
  logPath,
  command,
  String(backgroundLogBound(maxBytes) / 512),
];
