import { describe, expect, it } from 'vitest';
import { isFuse, isShared, parseMountinfo, topMountAt } from '../../src/adapters/storage/mountinfo.js';

const SAMPLE = [
  '26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '42 26 254:0 /mnt/root /mnt/root rw,relatime shared:2 - ext4 /dev/vda rw',
  '43 42 0:38 / /mnt/root/mnt_1 rw,nosuid,nodev,relatime shared:3 - fuse.s3fs s3fs rw,user_id=0,group_id=0,allow_other',
  '71 43 0:61 / /mnt/root/mnt_1 rw,nosuid,nodev,relatime shared:6 master:2 - fuse.s3fs s3fs rw,user_id=0,group_id=0',
  '80 26 0:70 / /tmp/with\\040space rw,relatime - tmpfs tmp\\134fs rw',
  '81 26 0:71 / /tmp/nooptional rw - fuse sshfs rw',
  '',
].join('\n');

describe('mountinfo parser', () => {
  const entries = parseMountinfo(SAMPLE);

  it('reads every field, optional fields included', () => {
    expect(entries).toHaveLength(6);
    expect(entries[2]).toEqual({
      id: 43,
      parent: 42,
      mountPoint: '/mnt/root/mnt_1',
      optional: ['shared:3'],
      fsType: 'fuse.s3fs',
      source: 's3fs',
      superOptions: 'rw,user_id=0,group_id=0,allow_other',
    });
    expect(entries[3]!.optional).toEqual(['shared:6', 'master:2']);
    expect(entries[5]!.optional).toEqual([]);
  });

  it('unescapes octal escapes in paths and sources', () => {
    expect(entries[4]!.mountPoint).toBe('/tmp/with space');
    expect(entries[4]!.source).toBe('tmp\\fs');
  });

  it('the top mount at a path is the last one listed (a repair stacks on a dead mount)', () => {
    expect(topMountAt(entries, '/mnt/root/mnt_1')!.id).toBe(71);
    expect(topMountAt(entries, '/mnt/root/none')).toBeNull();
  });

  it('classifies FUSE and shared propagation', () => {
    expect(isFuse(entries[2]!)).toBe(true);
    expect(isFuse(entries[5]!)).toBe(true);
    expect(isFuse(entries[1]!)).toBe(false);
    expect(isShared(entries[1]!)).toBe(true);
    expect(isShared(entries[5]!)).toBe(false);
  });

  it('skips malformed lines instead of throwing', () => {
    expect(parseMountinfo('garbage line\n1 2 3')).toEqual([]);
  });
});
