import { Agent, request, type IncomingMessage } from 'node:http';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { conflict, DomainError, notFound, runtimeFailure } from '../../domain/errors.js';
import type { ContainerStats, ExecHandle, ExecSpec, ExecStatus, PathStat, SandboxExec } from '../../domain/execd/port.js';
import { waitForPid } from '../../domain/execd/commands/exec-pid.js';
import { demux } from './demux.js';
import { freezeGate } from './freeze-gate.js';
import { dockerMessage, dockerStatus } from './docker-errors.js';
import { archiveFailure, ENGINE_ANSWER_MS, execFailure, leavingContainer, symlinkLoop } from './exec-failures.js';
import { statsSample } from './exec-stats.js';
import { otherGroupsOfSession } from './host-session.js';
import { pathStatOf } from './path-stat.js';

/**
 * SandboxExec on the Docker Engine API. Exec goes through dockerode's hijack, demultiplexed with back-pressure;
 * the archive calls use plain HTTP on the engine socket, which gives the response headers (the path stat)
 * and lets a download be aborted without reading the rest of a subtree's tar.
 */
export class DockerSandboxExec implements SandboxExec {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly docker: Docker,
    private readonly socketPath: string,
    /** how long an engine call about one container may take before it is given up (metrics, inspect) */
    private readonly engineAnswerMs = ENGINE_ANSWER_MS,
  ) {}

  /**
   * Through the freeze gate: a pause or commit of the container never overlaps a start (freeze-gate.ts). A
   * start counts until its process is known to run: a detached start returns only then; an attached one is
   * answered before runc has started it, so it counts until its output ends or, should a freeze be waiting,
   * the engine reports the process's pid (so nothing polls on the way of a plain command).
   */
  async start(containerId: string, spec: ExecSpec): Promise<ExecHandle> {
    const ticket = await freezeGate.enterStart(containerId);
    let handle: ExecHandle;
    try {
      handle = await this.startNow(containerId, spec);
    } catch (e) {
      ticket.leave();
      throw e;
    }
    if (spec.detach) ticket.leave();
    else void Promise.race([handle.ended, ticket.freezeWanted.then(() => waitForPid(this, handle.execId))]).then(ticket.leave, ticket.leave);
    return handle;
  }

  private async startNow(containerId: string, spec: ExecSpec): Promise<ExecHandle> {
    let exec: Docker.Exec;
    try {
      exec = await this.docker.getContainer(containerId).exec({
        Cmd: spec.cmd,
        AttachStdout: spec.detach !== true,
        AttachStderr: spec.detach !== true,
        AttachStdin: spec.stdin === true,
        Tty: spec.tty === true,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(spec.cwd !== undefined && { WorkingDir: spec.cwd }),
        ...(spec.user !== undefined && { User: spec.user }),
      });
    } catch (e) {
      throw await execFailure(this.docker, e, containerId);
    }
    if (spec.detach) {
      await exec.start({ Detach: true }).catch(async (e: unknown) => {
        throw await execFailure(this.docker, e, containerId);
      });
      const none = () => new PassThrough().end() as PassThrough;
      return { execId: exec.id, stdout: none(), stderr: none(), ended: Promise.resolve(), detach: () => {} };
    }
    const socket = (await exec.start({ hijack: true, stdin: spec.stdin === true, Tty: spec.tty === true }).catch(async (e: unknown) => {
      throw await execFailure(this.docker, e, containerId);
    })) as Duplex;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    // Demux at once, before any await: bytes that arrive before a listener exists are not replayed.
    if (spec.tty) socket.pipe(stdout);
    else demux(socket, stdout, stderr);
    const finish = () => {
      if (!spec.tty) stdout.end();
      stderr.end();
    };
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    const ended = Promise.all([streamEnd(stdout), streamEnd(stderr)]).then(() => undefined);
    return { execId: exec.id, stdout, stderr, ...(spec.stdin && { stdin: socket }), ended, detach: () => socket.destroy() };
  }

  async inspect(execId: string): Promise<ExecStatus | null> {
    try {
      const info = await this.docker.getExec(execId).inspect();
      return { running: info.Running, exitCode: info.Running ? null : (info.ExitCode ?? null), hostPid: info.Pid ?? 0 };
    } catch (e) {
      if (dockerStatus(e) === 404) return null;
      throw runtimeFailure('RUNTIME_ERROR', `Failed to inspect exec: ${dockerMessage(e)}`);
    }
  }

  async resize(execId: string, size: { cols: number; rows: number }): Promise<void> {
    await this.docker
      .getExec(execId)
      .resize({ h: size.rows, w: size.cols })
      .catch(() => {}); // a resize racing the process's exit is harmless
  }

  signalGroup(hostPid: number, signal: NodeJS.Signals): boolean {
    if (hostPid <= 1) return false;
    try {
      process.kill(-hostPid, signal);
    } catch {
      return false;
    }
    // The exec leads its own session: job-control groups inside it (a TTY shell's jobs) go too.
    for (const pgrp of otherGroupsOfSession(hostPid)) {
      try {
        process.kill(-pgrp, signal);
      } catch {
        // gone meanwhile
      }
    }
    return true;
  }

  async stat(containerId: string, path: string): Promise<PathStat | null> {
    const res = await this.call('HEAD', archivePath(containerId, path));
    const body = await readText(res);
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw (await this.loopAt(containerId, path)) ?? (await archiveFailure(this.docker, containerId, res.statusCode, body));
    const header = res.headers['x-docker-container-path-stat'];
    return pathStatOf(String(header ?? ''));
  }

  async readArchive(containerId: string, path: string, signal?: AbortSignal): Promise<Readable> {
    const res = await this.call('GET', archivePath(containerId, path), undefined, signal);
    if (res.statusCode === 200) return res;
    const body = await readText(res);
    if (res.statusCode === 404) throw notFound('FILE_NOT_FOUND', `No such file or directory: ${path}`);
    throw symlinkLoop(path, body) ?? (await archiveFailure(this.docker, containerId, res.statusCode, body));
  }

  /**
   * Why a HEAD failed, when it was a symlink loop: a HEAD answer has no body to say so, the same GET does (it
   * fails before any tar is sent; should it succeed after all, it is torn down unread).
   */
  private async loopAt(containerId: string, path: string): Promise<DomainError | null> {
    const abort = new AbortController();
    try {
      const res = await this.call('GET', archivePath(containerId, path), undefined, abort.signal);
      if (res.statusCode === 200) return null;
      return symlinkLoop(path, await readText(res));
    } catch {
      return null;
    } finally {
      abort.abort();
    }
  }

  async writeArchive(containerId: string, dir: string, tar: Readable): Promise<void> {
    const res = await this.call('PUT', `${archivePath(containerId, dir)}&noOverwriteDirNonDir=true`, tar);
    const body = await readText(res);
    if (res.statusCode === 200) return;
    if (res.statusCode === 404) throw notFound('FILE_NOT_FOUND', `No such directory: ${dir}`);
    if (res.statusCode === 403) throw new DomainError('conflict', 'PERMISSION_DENIED', `The sandbox's file system is read-only at ${dir}.`);
    throw symlinkLoop(dir, body) ?? (await archiveFailure(this.docker, containerId, res.statusCode, body));
  }

  async stats(containerId: string): Promise<ContainerStats> {
    const container = this.docker.getContainer(containerId);
    // Bounded: an engine that stops answering for one container (a wedged one holds up its stats for good)
    // must not hold a metrics request, or a watch, open with it.
    const abortSignal = AbortSignal.timeout(this.engineAnswerMs);
    const [raw, info] = await Promise.all([container.stats({ stream: false, abortSignal } as { stream: false }), container.inspect({ abortSignal })]).catch(
      async (e: unknown) => {
        if (abortSignal.aborted) throw runtimeFailure('RUNTIME_ERROR', `The engine did not answer for the sandbox's metrics within ${this.engineAnswerMs} ms.`);
        throw (
          (await leavingContainer(this.docker, containerId, this.engineAnswerMs)) ??
          runtimeFailure('RUNTIME_ERROR', `Failed to read sandbox metrics: ${dockerMessage(e)}`)
        );
      },
    );
    // A stopped container still answers stats, all zeros (no memory limit, no CPU): no sample of a sandbox.
    if (!info.State?.Running)
      throw conflict('SANDBOX_NOT_RUNNING', `The sandbox's container ${containerId.slice(0, 12)} is ${info.State?.Status}, not running.`);
    return statsSample(raw as unknown as Record<string, unknown>, info.HostConfig?.NanoCpus ?? 0);
  }

  private call(method: string, path: string, body?: Readable, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        agent: this.agent,
        method,
        path,
        signal,
        headers: body ? { 'Content-Type': 'application/x-tar' } : {},
      });
      req.on('response', resolve);
      req.on('error', (e) => reject(runtimeFailure('RUNTIME_ERROR', `Docker engine request failed: ${e.message}`)));
      if (body) {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      } else req.end();
    });
  }
}

const archivePath = (containerId: string, path: string) => `/containers/${encodeURIComponent(containerId)}/archive?path=${encodeURIComponent(path)}`;

function streamEnd(s: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (s.readableEnded) return resolve();
    s.once('end', () => resolve());
    s.once('close', () => resolve());
  });
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
