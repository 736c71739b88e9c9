import type { Readable, Writable } from 'node:stream';
import { DomainError } from '../errors.js';

/**
 * What `stat`, `readArchive` and `writeArchive` throw for a path through a symlink loop (`l -> l`, at the end or
 * in a parent; ELOOP inside the sandbox): a 400. The engine itself answers a bare 500 there.
 */
export class SymlinkLoop extends DomainError<'invalid'> {
  constructor(path: string) {
    super('invalid', 'INVALID_REQUEST_BODY', `Too many levels of symbolic links at ${path}.`);
  }
}

/**
 * What execd needs from the container engine: exec, the archive API, stats. berth serves execd itself from
 * outside the sandbox over these calls (nothing is injected into the container), so an image needs no agent:
 * files and metrics work even without a shell, commands need `/bin/sh`.
 */
export interface SandboxExec {
  /** Create and start an exec; output streams are demultiplexed (a TTY exec writes everything to stdout). */
  start(containerId: string, spec: ExecSpec): Promise<ExecHandle>;
  /** The engine's view of an exec; null once the engine has forgotten it (the container was removed or restarted). */
  inspect(execId: string): Promise<ExecStatus | null>;
  resize(execId: string, size: { cols: number; rows: number }): Promise<void>;
  /** Signal an exec's whole process group by its host pid; false when there is no such process any more. */
  signalGroup(hostPid: number, signal: NodeJS.Signals): boolean;
  /** lstat of `path` inside the container (symlinks in the parents are followed inside the sandbox root); null when missing; SymlinkLoop. */
  stat(containerId: string, path: string): Promise<PathStat | null>;
  /** A tar stream of `path` (a file, the link itself, or a directory's whole subtree); NOT_FOUND when missing. */
  readArchive(containerId: string, path: string, signal?: AbortSignal): Promise<Readable>;
  /** Extract a tar stream into the existing directory `dir`; missing parents named by entries are created. */
  writeArchive(containerId: string, dir: string, tar: Readable): Promise<void>;
  /** One resource sample (the engine takes two readings about a second apart). */
  stats(containerId: string): Promise<ContainerStats>;
}

export type ExecSpec = {
  cmd: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** "uid" or "uid:gid", resolved by the runtime in the sandbox's own /etc/passwd and /etc/group */
  user?: string;
  tty?: boolean;
  /** attach stdin (PTY sessions); otherwise the process reads /dev/null */
  stdin?: boolean;
  /** start without attaching at all (background commands write to a file): the handle's streams end at once */
  detach?: boolean;
};

export type ExecHandle = {
  execId: string;
  stdout: Readable;
  stderr: Readable;
  /** present when the spec asked for stdin */
  stdin?: Writable;
  /** resolves once both output streams have delivered everything (the process closed its output) */
  ended: Promise<void>;
  /** tear the attached connection down (the process keeps running unless signalled) */
  detach(): void;
};

export type ExecStatus = { running: boolean; exitCode: number | null; hostPid: number };

export type PathKind = 'file' | 'directory' | 'symlink' | 'other';

export type PathStat = {
  name: string;
  kind: PathKind;
  size: number;
  /** permission bits only (0o777 and setuid/setgid/sticky) */
  mode: number;
  modifiedAt: Date;
  /** absolute in-sandbox target for a symlink, '' otherwise */
  linkTarget: string;
};

export type ContainerStats = {
  cpuCount: number;
  cpuUsedPercent: number;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  at: Date;
};
