import { invalid, isDomainError } from '../../errors.js';
import type { SandboxExec } from '../port.js';
import { firstEntry } from './tar.js';
import type { CodeOf } from '../../error-codes.js';

/** The sandbox's own users and groups (its /etc/passwd and /etc/group), which owner/group names refer to. */
export type Accounts = {
  userName(uid: number): string;
  groupName(gid: number): string;
  /** the uid a name (or a numeric string) stands for; undefined when the sandbox has no such user */
  uidOf(name: string): number | undefined;
  gidOf(name: string): number | undefined;
};

// Account files are small; a bigger one is not an account file berth should parse.
const MAX_ACCOUNT_FILE = 4 * 1024 * 1024;

/** Read through the archive API, so it works without a shell and on a paused sandbox. A missing file means no names. */
export async function loadAccounts(exec: SandboxExec, containerId: string): Promise<Accounts> {
  const passwd = await readSmallFile(exec, containerId, '/etc/passwd');
  const group = await readSmallFile(exec, containerId, '/etc/group');
  const users = idTable(passwd);
  const groups = idTable(group);
  return {
    userName: (uid) => users.byId.get(uid) ?? String(uid),
    groupName: (gid) => groups.byId.get(gid) ?? String(gid),
    uidOf: (name) => users.byName.get(name) ?? numeric(name),
    gidOf: (name) => groups.byName.get(name) ?? numeric(name),
  };
}

/** owner/group names of a request → ids; an unknown name is refused (upstream silently falls back to root). */
export function resolveOwner(acc: Accounts, owner: string | undefined, group: string | undefined, code: CodeOf<'invalid'>): { uid?: number; gid?: number } {
  const out: { uid?: number; gid?: number } = {};
  if (owner !== undefined) {
    out.uid = acc.uidOf(owner);
    if (out.uid === undefined) throw invalid(code, `Unknown user '${owner}' in the sandbox's /etc/passwd.`);
  }
  if (group !== undefined) {
    out.gid = acc.gidOf(group);
    if (out.gid === undefined) throw invalid(code, `Unknown group '${group}' in the sandbox's /etc/group.`);
  }
  return out;
}

/** `name:x:id:...` lines; the first line naming an id or a name wins, as getpwuid/getpwnam would. */
function idTable(text: string): { byId: Map<number, string>; byName: Map<string, number> } {
  const byId = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (!name || id === undefined || !/^\d+$/.test(id)) continue;
    const n = Number(id);
    if (!byId.has(n)) byId.set(n, name);
    if (!byName.has(name)) byName.set(name, n);
  }
  return { byId, byName };
}

const numeric = (name: string): number | undefined => (/^\d{1,10}$/.test(name) && Number(name) < 2 ** 32 ? Number(name) : undefined);

async function readSmallFile(exec: SandboxExec, containerId: string, path: string): Promise<string> {
  let archive;
  try {
    archive = await exec.readArchive(containerId, path);
  } catch (e) {
    if (isDomainError(e) && e.kind === 'not_found') return '';
    throw e;
  }
  const entry = await firstEntry(archive);
  if (!entry) return '';
  try {
    if (entry.header.type !== 'file' || (entry.header.size ?? 0) > MAX_ACCOUNT_FILE) return '';
    const chunks: Buffer[] = [];
    for await (const c of entry.data) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    entry.close();
  }
}
