import { readdirSync, readlinkSync } from 'node:fs';

/** This process's open descriptors on berth's (unlinked) download spill files. */
export const openSpills = (): string[] =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).includes('berth-download-');
    } catch {
      return false;
    }
  });
