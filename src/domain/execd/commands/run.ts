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
    () => deps.exec.start(target.containerId, { ...base, cmd: backgroundCmd(logPath, input.command), detach: true }),
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
 * The command and the log path travel as positional arguments, never spliced into the script: any bytes in
 * the command stay the command's. stdin is /dev/null and both streams append to the file.
 */
const BACKGROUND_WRAPPER = 'exec >>"$1" 2>&1 </dev/null; exec /bin/sh -c "$2"';
export const backgroundCmd = (logPath: string, command: string) => ['/bin/sh', '-c', BACKGROUND_WRAPPER, 'berth-background', logPath, command];
