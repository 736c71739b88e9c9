import type { Deps } from '../../deps.js';
import { conflict, notFound } from '../../errors.js';
import type { Clock, Ids } from '../../ports.js';
import type { SandboxExec } from '../port.js';
import { PtySession } from './session.js';

/** Per berth process. At most 1 MiB of scrollback each, so this bounds PTY memory at about 128 MiB. */
export const MAX_PTY_SESSIONS = 128;
/** An exited session nobody is attached to is dropped after this long (checked when a session is created). */
export const IDLE_EXITED_MS = 60 * 60 * 1000;

type Entry = { sandboxId: string; session: PtySession };

/**
 * The PTY sessions of this process, by id. They are process memory by nature (a live attach connection to
 * an exec), so they do not survive a berth restart and are not shared between berth hosts; execTarget
 * already sends a sandbox's calls to the host that runs it.
 */
export class PtySessions {
  private readonly byId = new Map<string, Entry>();

  constructor(
    private readonly exec: SandboxExec,
    private readonly clock: Clock,
    private readonly ids: Ids,
  ) {}

  create(sandboxId: string, containerId: string, shell: { cwd?: string; command?: string }): PtySession {
    this.prune();
    if (this.byId.size >= MAX_PTY_SESSIONS) {
      throw conflict('PTY_SESSION_LIMIT', `This server holds ${MAX_PTY_SESSIONS} PTY sessions; delete some first.`);
    }
    const session = new PtySession(this.ids.prefixed('pty'), containerId, shell, this.exec, this.clock);
    this.byId.set(session.id, { sandboxId, session });
    return session;
  }

  /** A session of this sandbox (another sandbox's id is as unknown as a made-up one). */
  get(sandboxId: string, id: string): PtySession {
    const entry = this.byId.get(id);
    if (!entry || entry.sandboxId !== sandboxId) throw notFound('CONTEXT_NOT_FOUND', `pty session ${id} not found`);
    return entry.session;
  }

  delete(sandboxId: string, id: string): void {
    const session = this.get(sandboxId, id);
    this.byId.delete(id);
    session.kill();
  }

  get size(): number {
    return this.byId.size;
  }

  private prune(): void {
    const cutoff = this.clock.now().getTime() - IDLE_EXITED_MS;
    for (const [id, { session }] of this.byId) {
      if (!session.running && !session.hasHolder && session.lastActive.getTime() < cutoff) this.byId.delete(id);
    }
  }
}

/**
 * Deps has no slot for process memory, and both the execd routes and the upgrade listener get the same
 * deps (same SandboxExec instance), so the registry hangs off that instance.
 */
const registries = new WeakMap<SandboxExec, PtySessions>();

export function ptySessionsOf(deps: Pick<Deps, 'exec' | 'clock' | 'ids'>): PtySessions {
  let r = registries.get(deps.exec);
  if (!r) registries.set(deps.exec, (r = new PtySessions(deps.exec, deps.clock, deps.ids)));
  return r;
}
