import { describe, expect, it } from 'vitest';
import { FreezeGate } from '../../src/adapters/docker/freeze-gate.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
const tick = () => new Promise((r) => setImmediate(r));

/** a start that counts until `start` settles */
async function whileStarting<T>(gate: FreezeGate, containerId: string, start: () => Promise<T>): Promise<T> {
  const ticket = await gate.enterStart(containerId);
  try {
    return await start();
  } finally {
    ticket.leave();
  }
}

describe('FreezeGate', () => {
  it('a freeze waits for the starts in flight, and starts that come meanwhile wait for the freeze', async () => {
    const gate = new FreezeGate();
    const log: string[] = [];
    const startA = deferred();
    const a = whileStarting(gate, 'c', async () => (log.push('start a'), await startA.promise, log.push('a running')));
    await tick();
    const freeze = gate.whileFrozen('c', async () => void log.push('frozen'));
    await tick();
    const b = whileStarting(gate, 'c', async () => void log.push('start b'));
    await tick();
    expect(log).toEqual(['start a']); // the freeze waits for a; b waits for the freeze
    startA.resolve();
    await Promise.all([a, freeze, b]);
    expect(log).toEqual(['start a', 'a running', 'frozen', 'start b']);
  });

  it('other containers are not held up', async () => {
    const gate = new FreezeGate();
    const slow = deferred();
    const a = whileStarting(gate, 'c1', () => slow.promise);
    await expect(gate.whileFrozen('c2', async () => 'frozen')).resolves.toBe('frozen');
    slow.resolve();
    await a;
  });

  it('a start that fails still lets the freeze through', async () => {
    const gate = new FreezeGate();
    await expect(whileStarting(gate, 'c', async () => Promise.reject(new Error('engine said no')))).rejects.toThrow('engine said no');
    await expect(gate.whileFrozen('c', async () => 'frozen')).resolves.toBe('frozen');
  });

  it('refuses to freeze past its wait when a start never ends, and lets later freezes try again', async () => {
    const gate = new FreezeGate(50);
    const stuck = deferred();
    const a = whileStarting(gate, 'c', () => stuck.promise);
    await expect(gate.whileFrozen('c', async () => 'frozen')).rejects.toThrow(/still starting/);
    stuck.resolve();
    await a;
    await expect(gate.whileFrozen('c', async () => 'frozen')).resolves.toBe('frozen');
  });

  it('tells a start in flight that a freeze waits for it, and only then', async () => {
    const gate = new FreezeGate();
    const ticket = await gate.enterStart('c');
    let wanted = false;
    void ticket.freezeWanted.then(() => (wanted = true));
    await tick();
    expect(wanted).toBe(false);
    const freeze = gate.whileFrozen('c', async () => 'frozen');
    await tick();
    expect(wanted).toBe(true);
    ticket.leave();
    ticket.leave(); // twice is once
    await expect(freeze).resolves.toBe('frozen');
    const next = await gate.enterStart('c'); // a fresh signal for the next start
    let wantedAgain = false;
    void next.freezeWanted.then(() => (wantedAgain = true));
    await tick();
    expect(wantedAgain).toBe(false);
    next.leave();
  });
});
