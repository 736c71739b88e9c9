import type { Logger } from '../../src/domain/ports.js';

export type LogLine = { level: 'debug' | 'info' | 'warn' | 'error'; msg: string | undefined } & Record<string, unknown>;

/** A Logger that keeps every line in memory (children share the parent's list, with their bindings). */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: object = {},
  ) {}

  private push(level: LogLine['level'], obj: object, msg?: string) {
    this.lines.push({ ...this.bindings, ...obj, level, msg });
  }

  debug(obj: object, msg?: string) {
    this.push('debug', obj, msg);
  }
  info(obj: object, msg?: string) {
    this.push('info', obj, msg);
  }
  warn(obj: object, msg?: string) {
    this.push('warn', obj, msg);
  }
  error(obj: object, msg?: string) {
    this.push('error', obj, msg);
  }
  child(bindings: object): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings });
  }

  clear(): void {
    this.lines.length = 0;
  }

  find(msg: string): LogLine[] {
    return this.lines.filter((l) => l.msg === msg);
  }
}
