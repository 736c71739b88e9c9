import type { Clock } from '../../src/domain/ports.js';

/** A clock that moves only when told to, so expiry and ordering tests never sleep. */
export class FixedClock implements Clock {
  private ms: number;

  constructor(start: Date | string = '2030-01-01T00:00:00.000Z') {
    this.ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  advance(ms: number): Date {
    this.ms += ms;
    return this.now();
  }

  set(d: Date | string): void {
    this.ms = new Date(d).getTime();
  }
}
