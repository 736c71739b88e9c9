import type { Clock } from '../../ports.js';
import type { ExecHandle, SandboxExec } from '../port.js';
import { signalByName, type OutputChannel } from './frames.js';
import { ReplayBuffer } from './replay-buffer.js';

export type PtyMode = 'pty' | 'pipe';

/** The one attached client, as the session sees it (the WebSocket binding implements it). */
export interface PtySink {
  output(channel: OutputChannel, chunk: Buffer): void;
  exit(exitCode: number): void;
  /** the session dropped this client: another took over, or the session was deleted */
  evicted(why: 'taken_over' | 'deleted'): void;
}

type Proc = { handle: ExecHandle; mode: PtyMode; hostPid: number; running: boolean };

/** Upstream's initial window (pty.StartWithSize 80x24); Docker would otherwise leave the exec's TTY at 0x0. */
const INITIAL_SIZE = { cols: 80, rows: 24 };
const PID_WAIT = { tries: 40, everyMs: 50 };

/**
 * One interactive shell in a sandbox: a Docker exec (TTY + stdin for pty mode, plain pipes for pipe mode)
 * started on the first connect, its output kept in a replay ring and forwarded to at most one client.
 * Like upstream, a connect after the shell exited starts a new one in the same session (the scrollback
 * stays). Lives in berth's memory only: a berth restart loses the session (the exec's stdin goes with the
 * attach connection, so the shell sees EOF and exits).
 */
export class PtySession {
  readonly replay = new ReplayBuffer();
  exitCode: number | null = null;
  lastActive: Date;
  private proc: Proc | null = null;
  private starting: Promise<void> | null = null;
  private holder: PtySink | null = null;
  private deleted = false;

  constructor(
    readonly id: string,
    readonly containerId: string,
    private readonly shell: { cwd?: string; command?: string },
    private readonly exec: SandboxExec,
    private readonly clock: Clock,
  ) {
    this.lastActive = clock.now();
  }

  get running(): boolean {
    return this.proc?.running === true;
  }
  get mode(): PtyMode | null {
    return this.proc?.mode ?? null;
  }
  get hasHolder(): boolean {
    return this.holder !== null;
  }

  /** Start the shell unless it runs; concurrent connects share one start. */
  ensureStarted(mode: PtyMode): Promise<void> {
    if (this.running) return Promise.resolve();
    this.starting ??= this.start(mode).finally(() => (this.starting = null));
    return this.starting;
  }

  private async start(mode: PtyMode): Promise<void> {
    const cmd = this.shell.command ? ['/bin/sh', '-c', this.shell.command] : ['/bin/sh'];
    const tty = mode === 'pty';
    const handle = await this.exec.start(this.containerId, { cmd, tty, stdin: true, ...(this.shell.cwd && { cwd: this.shell.cwd }) });
    const proc: Proc = { handle, mode, hostPid: 0, running: true };
    this.proc = proc;
    this.exitCode = null;
    // Listeners before any await: the exec's first bytes (a prompt) must reach the replay ring.
    handle.stdout.on('data', (c: Buffer) => this.fanout('stdout', c));
    handle.stderr.on('data', (c: Buffer) => this.fanout('stderr', c));
    void handle.ended.then(() => this.finish(proc));
    // ExecInspect.Pid is 0 right after start (DESIGN.md execd §8): wait for it, or a signal finds nothing.
    proc.hostPid = await this.waitForPid(handle.execId);
    if (tty) await this.exec.resize(handle.execId, INITIAL_SIZE);
    if (this.deleted) this.kill();
  }

  private async waitForPid(execId: string): Promise<number> {
    for (let i = 0; i < PID_WAIT.tries; i++) {
      const s = await this.exec.inspect(execId).catch(() => null);
      if (!s || s.hostPid > 0 || !s.running) return s?.hostPid ?? 0;
      await new Promise((r) => setTimeout(r, PID_WAIT.everyMs));
    }
    return 0;
  }

  private fanout(channel: OutputChannel, chunk: Buffer): void {
    this.replay.write(chunk);
    this.lastActive = this.clock.now();
    this.holder?.output(channel, chunk);
  }

  /** The output ended: the engine knows the exit code a moment later (it may still say running). */
  private async finish(proc: Proc): Promise<void> {
    let code: number | null = null;
    for (let i = 0; i < PID_WAIT.tries && code === null; i++) {
      const s = await this.exec.inspect(proc.handle.execId).catch(() => null);
      if (!s) break;
      if (!s.running) code = s.exitCode;
      else await new Promise((r) => setTimeout(r, PID_WAIT.everyMs));
    }
    proc.running = false;
    proc.handle.detach();
    this.exitCode = code ?? -1;
    this.lastActive = this.clock.now();
    if (this.proc === proc) this.holder?.exit(this.exitCode);
  }

  /** Whether a new client may attach now: nobody holds the session, or it asked to take over. */
  canAttach(takeover: boolean): boolean {
    return !this.deleted && (this.holder === null || takeover);
  }

  /**
   * Make `sink` the holder (evicting the previous one when taking over) and return what it missed since
   * `since`. Synchronous with the output events, so no byte falls between the snapshot and the live stream.
   */
  attach(sink: PtySink, since: number): { offset: number; bytes: Buffer } {
    const previous = this.holder;
    this.holder = sink;
    previous?.evicted('taken_over');
    this.lastActive = this.clock.now();
    return this.replay.readFrom(since);
  }

  detach(sink: PtySink): void {
    if (this.holder === sink) this.holder = null;
    this.lastActive = this.clock.now();
  }

  /** false when the shell has no stdin to take it (not started, or exited) */
  writeStdin(bytes: Buffer): boolean {
    const stdin = this.running ? this.proc?.handle.stdin : undefined;
    if (!stdin || stdin.destroyed) return false;
    stdin.write(bytes);
    return true;
  }

  async resize(size: { cols: number; rows: number }): Promise<void> {
    if (this.proc?.running && this.proc.mode === 'pty') await this.exec.resize(this.proc.handle.execId, size);
  }

  /** Upstream's kill(-pid): the exec's whole process group (the exec process leads its own session). */
  signal(name: string): boolean {
    const sig = signalByName(name);
    if (!sig || !this.proc?.running || this.proc.hostPid <= 0) return false;
    return this.exec.signalGroup(this.proc.hostPid, sig);
  }

  /** DELETE: kill the process group, close stdin and the attach connection, drop the client. */
  kill(): void {
    this.deleted = true;
    const proc = this.proc;
    if (proc?.running) {
      if (proc.hostPid > 0) this.exec.signalGroup(proc.hostPid, 'SIGKILL');
      // Without the host's PID namespace the signal cannot land: closing stdin still ends an idle shell.
      proc.handle.stdin?.end();
    }
    const holder = this.holder;
    this.holder = null;
    holder?.evicted('deleted');
  }
}
