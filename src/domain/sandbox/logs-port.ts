/** One piece of a container's output, as the engine keeps it (stdout and stderr of its main process). */
export type LogChunk = { channel: 'stdout' | 'stderr'; text: string };

/**
 * A container's own output (implemented by docker/container-logs.ts among the adapters): the last `tail`
 * lines, then, with `follow`, what it writes from now on, until `signal` aborts or the container stops.
 */
export interface ContainerLogs {
  stream(containerId: string, opts: { tail: number; follow: boolean; signal: AbortSignal }): AsyncIterable<LogChunk>;
}
