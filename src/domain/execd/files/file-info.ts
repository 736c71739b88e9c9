import type { PathKind, PathStat } from '../port.js';
import type { Accounts } from './accounts.js';
import { modeToWire } from './paths.js';
import type { TarHeader } from './tar.js';

/** upstream's FileInfo (model/filesystem.go); the SDK renames the dates and keeps unknown fields. */
export type FileInfo = {
  path: string;
  type: PathKind;
  size: number;
  modified_at: string;
  /** the engine reports no ctime (neither its stat nor its tar headers carry one), so this is the mtime */
  created_at: string;
  owner: string;
  group: string;
  mode: number;
};

export function infoFromStat(path: string, stat: PathStat, ids: { uid: number; gid: number }, acc: Accounts): FileInfo {
  const at = stat.modifiedAt.toISOString();
  return {
    path,
    type: stat.kind,
    size: stat.size,
    modified_at: at,
    created_at: at,
    owner: acc.userName(ids.uid),
    group: acc.groupName(ids.gid),
    mode: modeToWire(stat.mode),
  };
}

/** A listing entry straight from the subtree's tar header (directories have size 0 there). */
export function infoFromHeader(path: string, h: TarHeader, acc: Accounts): FileInfo {
  const at = (h.mtime ?? new Date(0)).toISOString();
  return {
    path,
    type: kindOfHeader(h.type),
    size: h.size ?? 0,
    modified_at: at,
    created_at: at,
    owner: acc.userName(h.uid ?? 0),
    group: acc.groupName(h.gid ?? 0),
    mode: modeToWire(h.mode ?? 0),
  };
}

function kindOfHeader(type: TarHeader['type']): PathKind {
  if (type === 'file' || type === 'contiguous-file' || type === 'link' || type === undefined || type === null) return 'file';
  if (type === 'directory') return 'directory';
  if (type === 'symlink') return 'symlink';
  return 'other';
}
