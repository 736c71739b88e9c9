/** One frame of execd's command stream (DESIGN.md execd §4.1): one JSON object, then a blank line. */
export type ExecEvent =
  | { type: 'init'; text: string; timestamp: number }
  | { type: 'stdout' | 'stderr'; text: string; timestamp: number }
  | { type: 'ping'; text: 'pong'; timestamp: number }
  | { type: 'execution_complete'; execution_time: number; timestamp: number }
  | { type: 'error'; error: { ename: 'CommandExecError'; evalue: string; traceback: string[] }; timestamp: number };

/** Where a running command's events go; `emit` resolves when the client can take more (backpressure). */
export interface EventSink {
  emit(event: ExecEvent): Promise<void>;
}

/** A command as the client asked for it, validated (the HTTP layer parses the JSON shape). */
export type CommandInput = {
  command: string;
  cwd?: string;
  background: boolean;
  /** milliseconds; 0 or absent = no limit; at most MAX_TIMEOUT_MS */
  timeoutMs?: number;
  uid?: number;
  gid?: number;
  envs: Record<string, string>;
};

/**
 * The longest timeout taken (about 31 years): the SDK sends any round(timeoutSeconds * 1000) and upstream takes
 * an int64; the bound only keeps the deadline a valid date.
 */
export const MAX_TIMEOUT_MS = 1e12;

export type CommandKind = 'foreground' | 'background' | 'session';
