import { readdirSync, readFileSync } from 'node:fs';

/**
 * The process groups, other than the leader's own, of the session led by `sid`, from the host's /proc.
 * An interactive shell on a TTY (a PTY session) runs each job in a group of its own, so signalling the
 * exec's group alone would leave its jobs running; the session is the unit that ends with the terminal.
 * Fields of /proc/<pid>/stat after the `(comm)`, which may itself hold spaces and parentheses:
 * state ppid pgrp session ...
 */
export function otherGroupsOfSession(sid: number, procRoot = '/proc'): number[] {
  const groups = new Set<number>();
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    if (Number(fields[3]) === sid && pgrp !== sid && pgrp > 1) groups.add(pgrp);
  }
  return [...groups];
}
