import type { Readable } from 'node:stream';
import { DomainError } from '../../errors.js';
import type { SandboxExec } from '../port.js';
import { oneEntryArchive, type TarHeader } from './tar.js';

/** Where one entry goes: the existing directory the engine extracts into, and the entry's name below it. */
export type Placement = { dir: string; rest: string };

/**
 * Write one entry (a file's bytes, or a header-only directory that creates or re-applies mode and owner).
 * The engine honours the header's mode, uid, gid and mtime, and creates the parents `rest` implies.
 */
export async function putEntry(
  exec: SandboxExec,
  containerId: string,
  at: Placement,
  header: Omit<TarHeader, 'name'>,
  data?: Readable | Buffer,
): Promise<void> {
  const name = header.type === 'directory' ? `${at.rest}/` : at.rest;
  await exec.writeArchive(containerId, at.dir, oneEntryArchive({ ...header, name }, data));
}

/** 413: the route maps this code (the error table has no kind for it). */
export const tooLarge = (message: string) => new DomainError('too_large', 'PAYLOAD_TOO_LARGE', message);
