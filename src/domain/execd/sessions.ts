import { and, eq, isNull } from 'drizzle-orm';
import { execdCommands, execdSessions, sandboxes } from '../../db/schema/index.js';
import type { Deps } from '../deps.js';
import { notFound } from '../errors.js';
import { assertCommandInput, assertDirectory, assertShell } from './commands/prepare.js';
import { killIfStillRunning } from './commands/escalate.js';
import { markKilledByBerth, recordAndStart } from './commands/rows.js';
import { stopExec, type PreparedCommand } from './commands/run.js';
import { streamExec } from './commands/stream-exec.js';
import { runTool } from './run-tool.js';
import { execTarget } from './target.js';
import { pieceEnd } from './utf16.js';

type D = Pick<Deps, 'db' | 'clock' | 'ids' | 'config' | 'exec' | 'metrics' | 'log' | 'sessionState'>;

const CWD_MARK = '__BERTH_SESSION_CWD__';
/** the saved state's variables: __BERTH_SESSION_ENV_0, _1, ... */
const ENV_PIECE = '__BERTH_SESSION_ENV_';
/** 32 Ki UTF-16 units are at most 96 KiB of UTF-8 (a pair is 4 bytes), inside the kernel's 128 KiB per variable */
const ENV_PIECE_CHARS = 32 * 1024;
/**
 * The largest state a run may leave. The next run's environment and arguments together may hold 2 MiB
 * (ARG_MAX under the usual 8 MiB stack), so a larger one would make every later run fail to start; a run
 * that leaves more keeps the state it started with (upstream drops any variable over 8 KiB).
 */
export const MAX_SESSION_STATE_BYTES = 1024 * 1024;

/**
 * A session's state is its exported environment and working directory, not a live process (as upstream):
 * each run is a fresh `/bin/sh` that replays the saved `export -p`, changes to the saved directory, runs the
 * command with stderr merged into stdout, and then reports its new environment and directory on stderr,
 * which berth keeps instead of streaming. Directory and command travel as positional arguments, never
 * spliced into the script. The saved environment travels in the exec's environment, cut into variables of
 * at most ENV_PIECE_CHARS (stateEnv), which the script joins and unsets before anything runs: argv is
 * world-readable on the host (`ps`) and part of the engine's exec inspect, and the state holds whatever the
 * runs exported, secrets included; and one argument or variable may hold only 128 KiB (MAX_ARG_STRLEN), so
 * a larger state in one piece made every later run of the session fail. A command that calls `exit` ends
 * the run without saving.
 */
const SESSION_SCRIPT = [
  '__berth_dir=$1 __berth_cmd=$2 __berth_env= __berth_i=0; set --',
  'while eval "[ -n \\"\\${' + ENV_PIECE + '$__berth_i+x}\\" ]"; do',
  '  eval "__berth_env=\\$__berth_env\\$' + ENV_PIECE + '$__berth_i; unset ' + ENV_PIECE + '$__berth_i"; __berth_i=$((__berth_i + 1))',
  'done',
  'eval "$__berth_env" 2>/dev/null',
  'if [ -n "$__berth_dir" ]; then cd -- "$__berth_dir" 2>/dev/null; fi',
  '{ eval "$__berth_cmd"; } 2>&1',
  '__berth_rc=$?',
  `{ export -p; printf '%s\\n' ${CWD_MARK}; pwd; } >&2`,
  'exit $__berth_rc',
].join('\n');

export async function createSession(deps: D, sandboxId: string, cwd?: string): Promise<{ sessionId: string }> {
  const target = await execTarget(deps, sandboxId);
  await assertShell(deps, target.containerId);
  if (cwd !== undefined) {
    assertCommandInput({ command: 'true', cwd, envs: {} });
    // upstream creates a missing session directory
    if (!(await deps.exec.stat(target.containerId, cwd)))
      await runTool(deps.exec, target.containerId, ['mkdir', '-p', '--', cwd], 'Creating the session directory');
    await assertDirectory(deps, target.containerId, cwd, 'cwd');
  }
  const id = deps.ids.prefixed('ses');
  await deps.db.insert(execdSessions).values({ id, sandboxId, cwd: cwd ?? null, createdAt: deps.clock.now() });
  return { sessionId: id };
}

/**
 * DELETE /session/{id}, and DELETE /command?id= with a session id (upstream's interrupt of a bash session):
 * the session goes, and a run still going gets SIGKILL to its process group (its children too), so its
 * stream ends with evalue -1. The row goes first, so the killed run cannot save its state into it.
 */
/**
 * Closes the session and SIGKILLs its running run. The kill is also written as due now: the engine and the
 * pid are the sandbox's host's, so a berth on another host only records it and that host's interrupt-kill
 * loop sends it (signalling the pid here would hit whatever process has that number on this machine).
 */
export async function deleteSession(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'exec'>, sandboxId: string, id: string): Promise<void> {
  const gone = await deps.db
    .delete(execdSessions)
    .where(and(eq(execdSessions.id, id), eq(execdSessions.sandboxId, sandboxId)))
    .returning({ id: execdSessions.id });
  if (gone.length === 0) throw notFound('CONTEXT_NOT_FOUND', `No session ${id} in this sandbox.`);
  const running = await deps.db
    .select({ id: execdCommands.id, execId: execdCommands.execId, hostPid: execdCommands.hostPid, hostId: sandboxes.hostId })
    .from(execdCommands)
    .innerJoin(sandboxes, eq(sandboxes.id, execdCommands.sandboxId))
    .where(and(eq(execdCommands.sandboxId, sandboxId), eq(execdCommands.sessionId, id), isNull(execdCommands.finishedAt)));
  for (const run of running) {
    await markKilledByBerth(deps, run.id, 'signal: killed (session closed)', deps.clock.now());
    if (run.hostId === deps.config.hostId) await killIfStillRunning(deps, run);
  }
}

export async function isSession(deps: Pick<Deps, 'db'>, sandboxId: string, id: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ id: execdSessions.id })
    .from(execdSessions)
    .where(and(eq(execdSessions.id, id), eq(execdSessions.sandboxId, sandboxId)))
    .limit(1);
  return row !== undefined;
}

/** POST /session/{id}/run: validated up front; the stream's init text is the session id (as upstream). */
export async function startSessionRun(
  deps: D,
  sandboxId: string,
  sessionId: string,
  input: { command: string; cwd?: string; timeoutMs?: number },
): Promise<PreparedCommand> {
  assertCommandInput({ ...input, envs: {} });
  const [session] = await deps.db
    .select()
    .from(execdSessions)
    .where(and(eq(execdSessions.id, sessionId), eq(execdSessions.sandboxId, sandboxId)))
    .limit(1);
  if (!session) throw notFound('CONTEXT_NOT_FOUND', `No session ${sessionId} in this sandbox.`);
  const target = await execTarget(deps, sandboxId);
  await assertShell(deps, target.containerId);
  if (input.cwd !== undefined) await assertDirectory(deps, target.containerId, input.cwd, 'cwd');

  const dir = input.cwd ?? session.cwd ?? '';
  const cmd = ['/bin/sh', '-c', SESSION_SCRIPT, 'berth-session', dir, input.command];
  const { row, handle } = await recordAndStart(
    deps,
    { sandboxId, command: input.command, kind: 'session', sessionId, timeoutMs: input.timeoutMs },
    () => deps.exec.start(target.containerId, { cmd, env: stateEnv(deps.sessionState.open(session.env)) }),
    (h) => stopExec(deps, h),
  );
  return {
    run: async (sink) => {
      const { stderr } = await streamExec(deps, {
        kind: 'session',
        target,
        row,
        handle,
        sink,
        initText: sessionId,
        timeoutMs: input.timeoutMs,
        stderr: 'collect',
        collectMaxBytes: MAX_SESSION_STATE_BYTES,
      });
      const state = parseTrailer(stderr);
      // sealed: the state is whatever the runs exported, tokens included
      if (state)
        await deps.db
          .update(execdSessions)
          .set({ env: deps.sessionState.seal(state.env), cwd: state.cwd })
          .where(eq(execdSessions.id, sessionId));
    },
  };
}

/** `export -p` output, the marker, then `pwd` (stderr carries only this: the command's went to stdout); null when the run never got there. */
export function parseTrailer(stderr: string): { env: string; cwd: string } | null {
  const at = stderr.lastIndexOf(`${CWD_MARK}\n`);
  if (at < 0 || (at > 0 && stderr[at - 1] !== '\n')) return null;
  const cwd = stderr.slice(at + CWD_MARK.length + 1).split('\n')[0] ?? '';
  if (!cwd.startsWith('/')) return null;
  return { env: stderr.slice(0, at), cwd };
}

/** The saved `export -p` output as variables the script joins back, cut between UTF-16 pairs, never inside one. */
export function stateEnv(state: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (let at = 0, i = 0; at < state.length; i++) {
    const end = pieceEnd(state, at, ENV_PIECE_CHARS);
    env[`${ENV_PIECE}${i}`] = state.slice(at, end);
    at = end;
  }
  return env;
}
