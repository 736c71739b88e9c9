import type { Deps } from '../../deps.js';
import type { ExecSpec } from '../port.js';
import { waitForPid } from './exec-pid.js';
import { prepareCommand, userOf } from './prepare.js';
import { insertCommand, recordExec, recordFinish } from './rows.js';
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
    const row = await insertCommand(deps, { sandboxId, command: input.command, kind: 'foreground', timeoutMs: input.timeoutMs });
    const handle = await deps.exec.start(target.containerId, { ...base, cmd: ['/bin/sh', '-c', input.command] }).catch(failWith(deps, row.id));
    return {
      run: async (sink) => {
        await streamExec(deps, { kind: 'foreground', target, row, handle, sink, initText: row.id, timeoutMs: input.timeoutMs, stderr: 'emit' });
      },
    };
  }
  const row = await insertCommand(deps, { sandboxId, command: input.command, kind: 'background', timeoutMs: input.timeoutMs, logPath: '' });
  const logPath = backgroundLogPath(row.id);
  const handle = await deps.exec.start(target.containerId, { ...base, cmd: backgroundCmd(logPath, input.command), detach: true }).catch(failWith(deps, row.id));
  return {
    run: async (sink) => {
      const status = await waitForPid(deps.exec, handle.execId);
      await recordExec(deps, row.id, handle.execId, status?.hostPid ?? 0, logPath);
      const now = deps.clock.now().getTime();
      await sink.emit({ type: 'init', text: row.id, timestamp: now });
      await sink.emit({ type: 'execution_complete', execution_time: 0, timestamp: now });
    },
  };
}

/** The engine refused the exec (paused meanwhile, container gone): the record ends, the error goes to the client as JSON. */
export const failWith = (deps: Pick<Deps, 'db' | 'clock'>, id: string) => async (e: unknown) => {
  await recordFinish(deps, id, null, 'the command could not start');
  throw e;
};

export const backgroundLogPath = (commandId: string) => `/tmp/.berth-cmd-${commandId}.log`;

/**
 * The command and the log path travel as positional arguments, never spliced into the script: any bytes in
 * the command stay the command's. stdin is /dev/null and both streams append to the file.
 */
const BACKGROUND_WRAPPER = 'exec >>"$1" 2>&1 </dev/null; exec /bin/sh -c "$2"';
export const backgroundCmd = (logPath: string, command: string) => ['/bin/sh', '-c', BACKGROUND_WRAPPER, 'berth-background', logPath, command];
