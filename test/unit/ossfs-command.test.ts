import { describe, expect, it } from 'vitest';
import { ossfsCommand, unmountCommands } from '../../src/adapters/storage/ossfs-command.js';
import type { OssfsSpec } from '../../src/domain/volumes/mounter-port.js';

const bins = { ossfsBin: '/opt/ossfs', ossfs2Bin: '/opt/ossfs2' };
const creds = { accessKeyId: 'AKID', accessKeySecret: 'SECRET-VALUE' };
const spec = (over: Partial<OssfsSpec> = {}): OssfsSpec => ({
  version: '1.0',
  bucket: 'bkt',
  prefix: 'a/b',
  endpoint: 'https://oss.example.com',
  options: ['allow_other', 'uid=1000'],
  ...over,
});

describe('ossfs command builders (upstream command lines)', () => {
  it('1.0: bucket:/prefix, url, passwd_file, then each option after -o', () => {
    const c = ossfsCommand(bins, '/mnt/r/mnt_1', spec(), creds, '/tmp/pw');
    expect(c.bin).toBe('/opt/ossfs');
    expect(c.args).toEqual([
      'bkt:/a/b',
      '/mnt/r/mnt_1',
      '-o',
      'url=https://oss.example.com',
      '-o',
      'passwd_file=/tmp/pw',
      '-o',
      'allow_other',
      '-o',
      'uid=1000',
    ]);
    expect(c.credentialFile).toBe('bkt:AKID:SECRET-VALUE\n');
  });

  it('1.0 without a prefix mounts the bucket root', () => {
    expect(ossfsCommand(bins, '/m', spec({ prefix: '', options: [] }), creds, '/tmp/pw').args.slice(0, 2)).toEqual(['bkt', '/m']);
  });

  it('2.0: ossfs2 mount <path> -c <conf>, everything else in the conf file', () => {
    const c = ossfsCommand(bins, '/mnt/r/mnt_2', spec({ version: '2.0' }), creds, '/tmp/conf');
    expect(c.bin).toBe('/opt/ossfs2');
    expect(c.args).toEqual(['mount', '/mnt/r/mnt_2', '-c', '/tmp/conf']);
    expect(c.credentialFile.split('\n')).toEqual([
      '--oss_endpoint=https://oss.example.com',
      '--oss_bucket=bkt',
      '--oss_access_key_id=AKID',
      '--oss_access_key_secret=SECRET-VALUE',
      '--oss_bucket_prefix=a/b/',
      '--allow_other',
      '--uid=1000',
      '',
    ]);
    expect(ossfsCommand(bins, '/m', spec({ version: '2.0', prefix: '' }), creds, '/c').credentialFile).not.toContain('oss_bucket_prefix');
  });

  it('never puts a credential into the arguments (they show in /proc/<pid>/cmdline)', () => {
    for (const version of ['1.0', '2.0'] as const) {
      const c = ossfsCommand(bins, '/m', spec({ version }), creds, '/f');
      expect(c.args.join(' ')).not.toMatch(/SECRET-VALUE|AKID/);
    }
  });

  it('unmounts with fusermount (1.0) or fusermount3 (2.0), then umount', () => {
    expect(unmountCommands('1.0', '/m')).toEqual([
      { bin: 'fusermount', args: ['-u', '/m'] },
      { bin: 'umount', args: ['/m'] },
    ]);
    expect(unmountCommands('2.0', '/m')[0]).toEqual({ bin: 'fusermount3', args: ['-u', '/m'] });
  });
});

describe('the environment mount tools run with', () => {
  it('keeps the basics and OSSFS_/OSS_ settings, and drops the server secrets', async () => {
    const { toolEnv } = await import('../../src/adapters/storage/run-command.js');
    const env = toolEnv({
      PATH: '/bin',
      HOME: '/root',
      LC_ALL: 'C',
      OSSFS_SHIM_RECORD: '/r',
      OSS_REGION: 'x',
      BERTH_SECRET_KEY: 'k',
      DATABASE_URL: 'postgres://u:p@h/d',
      BERTH_API_KEY: 'a',
    });
    expect(env).toEqual({ PATH: '/bin', HOME: '/root', LC_ALL: 'C', OSSFS_SHIM_RECORD: '/r', OSS_REGION: 'x' });
  });
});
