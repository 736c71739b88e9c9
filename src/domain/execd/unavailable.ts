import { DomainError } from '../errors.js';
import type { SandboxExec } from './port.js';

const unavailable = () => {
  throw new DomainError('unavailable', 'NOT_SUPPORTED', 'Command execution and files are not available on this server (no container engine).');
};

/** The default SandboxExec when none is given (unit tests on a fake runtime): every call answers 503. */
export const unavailableExec: SandboxExec = {
  start: async () => unavailable(),
  inspect: async () => unavailable(),
  resize: async () => unavailable(),
  signalGroup: () => unavailable(),
  stat: async () => unavailable(),
  readArchive: async () => unavailable(),
  writeArchive: async () => unavailable(),
  stats: async () => unavailable(),
};
