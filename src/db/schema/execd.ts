import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every execd command berth started (foreground, background and session runs), so GET /command/status and
 * /logs answer from any berth process and after a restart. The exit code is kept once seen: the engine may
 * forget an exec (a container restart drops them).
 */
export const execdCommands = pgTable(
  'execd_commands',
  {
    id: text('id').primaryKey(),
    sandboxId: text('sandbox_id').notNull(),
    /** the command text as the client sent it */
    command: text('command').notNull(),
    /** foreground | background | session */
    kind: text('kind').notNull(),
    /** the engine's exec id; null until the exec exists */
    execId: text('exec_id'),
    /** the exec's process-group leader on the engine's host (0 = unknown), for interrupts and timeouts */
    hostPid: integer('host_pid').notNull().default(0),
    /** background: the combined output file inside the sandbox */
    logPath: text('log_path'),
    /** session runs: their session, whose close kills the run (as upstream) */
    sessionId: text('session_id'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    exitCode: integer('exit_code'),
    /** why it ended when not by a plain exit ("exit status 3", "signal: killed", "timeout") */
    error: text('error'),
    /** when the command's timeout kills it; null = none */
    deadlineAt: timestamp('deadline_at', { withTimezone: true, mode: 'date' }),
    /** set when berth itself signalled it (interrupt, timeout): the exit code is then reported as -1, as upstream */
    killedByBerth: boolean('killed_by_berth').notNull().default(false),
    /** an interrupt's SIGKILL, due when its grace ends; a row, so a berth restart within the grace still sends it */
    killAt: timestamp('kill_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('execd_commands_sandbox_idx').on(t.sandboxId),
    index('execd_commands_deadline_idx').on(t.deadlineAt),
    // the interrupt-kill loop reads only the few rows with a SIGKILL due
    index('execd_commands_kill_idx')
      .on(t.killAt)
      .where(sql`${t.killAt} is not null`),
  ],
);

/** Bash-style sessions: state is the saved environment and working directory, replayed into each run. */
export const execdSessions = pgTable('execd_sessions', {
  id: text('id').primaryKey(),
  sandboxId: text('sandbox_id').notNull(),
  cwd: text('cwd'),
  /** the session's `export -p` output, replayed before each run */
  env: text('env').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export type ExecdCommandRow = typeof execdCommands.$inferSelect;
export type ExecdSessionRow = typeof execdSessions.$inferSelect;
