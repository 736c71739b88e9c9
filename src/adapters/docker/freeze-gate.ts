/**
 * Keeps exec starts and freezes of one container apart. Docker 20.10 with runc 1.1 wedges a container for
 * good when its cgroup is frozen while an exec is starting in it: the exec's runc never returns, and from then
 * on inspect, unpause and rm of that container hang, and the engine's stats collector with them (measured:
 * three exec loops against a pause/unpause loop wedged a container within 20 s; only thawing its freezer
 * cgroup by hand freed it). berth is a client that both starts execs (execd) and freezes containers (pause,
 * snapshot commits), so a freeze waits until the exec starts in flight have their process running, and an
 * exec start waits for a freeze in progress to end (a container left paused then refuses it cleanly).
 *
 * In-process only: another berth process on this host has its own gate. The committed Pausing state already
 * refuses its new commands; a start of its that passed that check a moment before is the window left.
 */
export class FreezeGate {
  private readonly startsInFlight = new Map<string, number>();
  private readonly freezes = new Map<string, Promise<void>>();
  private readonly drainWaiters = new Map<string, Array<() => void>>();
  private readonly freezeWanted = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  constructor(private readonly maxDrainMs = 10_000) {}

  /**
   * Wait out any freeze of the container, then count a start in flight until `leave` is called (once its
   * process is known to run). `freezeWanted` resolves when a freeze is waiting for it: only then is it worth
   * asking the engine whether the process runs yet.
   */
  async enterStart(containerId: string): Promise<{ leave: () => void; freezeWanted: Promise<void> }> {
    await this.afterFreezes(containerId);
    this.startsInFlight.set(containerId, (this.startsInFlight.get(containerId) ?? 0) + 1);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.leaveStart(containerId);
    };
    return { leave, freezeWanted: this.wantedSignal(containerId).promise };
  }

  /** Run a freeze (pause, commit) once no exec is starting in the container; starts that come meanwhile wait. */
  async whileFrozen<T>(containerId: string, freeze: () => Promise<T>): Promise<T> {
    await this.afterFreezes(containerId); // one at a time
    let done!: () => void;
    this.freezes.set(containerId, new Promise<void>((resolve) => (done = resolve)));
    try {
      await this.drained(containerId);
      return await freeze();
    } finally {
      this.freezes.delete(containerId);
      done();
    }
  }

  private async afterFreezes(containerId: string): Promise<void> {
    for (let f = this.freezes.get(containerId); f; f = this.freezes.get(containerId)) await f;
  }

  private leaveStart(containerId: string): void {
    const left = this.startsInFlight.get(containerId)! - 1;
    if (left > 0) return void this.startsInFlight.set(containerId, left);
    this.startsInFlight.delete(containerId);
    this.freezeWanted.delete(containerId);
    for (const wake of this.drainWaiters.get(containerId) ?? []) wake();
    this.drainWaiters.delete(containerId);
  }

  private wantedSignal(containerId: string): { promise: Promise<void>; resolve: () => void } {
    let signal = this.freezeWanted.get(containerId);
    if (!signal) {
      let resolve!: () => void;
      signal = { promise: new Promise<void>((r) => (resolve = r)), resolve };
      this.freezeWanted.set(containerId, signal);
    }
    return signal;
  }

  private drained(containerId: string): Promise<void> {
    if (!this.startsInFlight.has(containerId)) return Promise.resolve();
    this.freezeWanted.get(containerId)?.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // an exec start this slow is the engine's trouble already: freezing now could wedge the container
        reject(new Error(`an exec in container ${containerId.slice(0, 12)} is still starting; not freezing it`));
      }, this.maxDrainMs);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.drainWaiters.set(containerId, [...(this.drainWaiters.get(containerId) ?? []), wake]);
    });
  }
}

/** One per process: every adapter on this engine shares it (container ids are the engine's). */
export const freezeGate = new FreezeGate();
