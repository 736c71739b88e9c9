import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMountSecrets } from '../../src/adapters/crypto/mount-secrets.js';
import type { VolumeRequest } from '../../src/domain/volumes/port.js';
import { prepareVolumes } from '../../src/domain/volumes/prepare.js';
import { checkVolumes } from '../../src/domain/volumes/validate.js';
import { FakeRuntime } from '../fakes/fake-runtime.js';
import { TEST_SERVER_KEY, testConfig } from '../fixtures/mount-deps.js';
import { codeOf, codeOfAsync } from '../helpers/domain-error-code.js';

const secrets = createMountSecrets(TEST_SERVER_KEY);
const oss = (over: Record<string, unknown> = {}) => ({
  bucket: 'my-bucket',
  endpoint: 'oss-cn.example.com',
  accessKeyId: 'ak',
  accessKeySecret: 'sk',
  ...over,
});

const check = (vols: unknown[], allowed: string[] = ['/srv']) => codeOf(() => checkVolumes(vols as VolumeRequest[], allowed));

describe('checkVolumes: upstream order and codes', () => {
  it('accepts one of each backend', () => {
    expect(
      check([
        { name: 'a', mountPath: '/a', host: { path: '/srv/x' } },
        { name: 'b', mountPath: '/b', pvc: { claimName: 'vol-1' } },
        { name: 'c', mountPath: '/c', ossfs: oss() },
      ]),
    ).toBe('ok');
  });

  it.each([
    [
      'duplicate name before anything else',
      [
        { name: 'a', mountPath: '/a', host: { path: '/srv' } },
        { name: 'a', mountPath: 'bad', nfs: {} },
      ],
      'invalid:VOLUME::DUPLICATE_NAME',
    ],
    ['name before mountPath', [{ name: 'A_B', mountPath: 'rel', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_NAME'],
    ['empty name', [{ name: '', mountPath: '/a', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_NAME'],
    ['64-char name', [{ name: 'a'.repeat(64), mountPath: '/a', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_NAME'],
    ['mountPath before subPath', [{ name: 'a', mountPath: 'rel', subPath: '../x', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_MOUNT_PATH'],
    ['mountPath with a colon (docker bind syntax)', [{ name: 'a', mountPath: '/a:ro', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_MOUNT_PATH'],
    [
      'two volumes on one mountPath',
      [
        { name: 'a', mountPath: '/d', host: { path: '/srv' } },
        { name: 'b', mountPath: '/d/', pvc: { claimName: 'v' } },
      ],
      'invalid:VOLUME::INVALID_MOUNT_PATH',
    ],
    ['subPath before backend', [{ name: 'a', mountPath: '/a', subPath: 'x/../../etc' }], 'invalid:VOLUME::INVALID_SUB_PATH'],
    ['absolute subPath', [{ name: 'a', mountPath: '/a', subPath: '/etc', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_SUB_PATH'],
    ['a/../b is refused too', [{ name: 'a', mountPath: '/a', subPath: 'a/../b', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_SUB_PATH'],
    ['subPath with a newline', [{ name: 'a', mountPath: '/a', subPath: 'a\nb', host: { path: '/srv' } }], 'invalid:VOLUME::INVALID_SUB_PATH'],
    ['nfs is named, not dropped', [{ name: 'a', mountPath: '/a', nfs: { server: 'x', path: '/y' } }], 'invalid:VOLUME::UNSUPPORTED_BACKEND'],
    ['nfs next to a known backend', [{ name: 'a', mountPath: '/a', host: { path: '/srv' }, nfs: { server: 'x' } }], 'invalid:VOLUME::UNSUPPORTED_BACKEND'],
    ['no backend', [{ name: 'a', mountPath: '/a' }], 'invalid:VOLUME::INVALID_BACKEND'],
    ['two backends', [{ name: 'a', mountPath: '/a', host: { path: '/srv' }, pvc: { claimName: 'v' } }], 'invalid:VOLUME::INVALID_BACKEND'],
    ['null backends count as absent', [{ name: 'a', mountPath: '/a', host: null, pvc: { claimName: 'v' }, ossfs: null }], 'ok'],
    ['host path relative', [{ name: 'a', mountPath: '/a', host: { path: 'srv' } }], 'invalid:VOLUME::INVALID_HOST_PATH'],
    ['host path with ..', [{ name: 'a', mountPath: '/a', host: { path: '/srv/../etc' } }], 'invalid:VOLUME::INVALID_HOST_PATH'],
    ['host path not normalised', [{ name: 'a', mountPath: '/a', host: { path: '/srv//x' } }], 'invalid:VOLUME::INVALID_HOST_PATH'],
    ['host path trailing slash', [{ name: 'a', mountPath: '/a', host: { path: '/srv/x/' } }], 'invalid:VOLUME::INVALID_HOST_PATH'],
    ['host path with a colon', [{ name: 'a', mountPath: '/a', host: { path: '/srv/a:b' } }], 'invalid:VOLUME::INVALID_HOST_PATH'],
    ['host path outside the allowlist', [{ name: 'a', mountPath: '/a', host: { path: '/etc' } }], 'invalid:VOLUME::HOST_PATH_NOT_ALLOWED'],
    ['prefix match is per component', [{ name: 'a', mountPath: '/a', host: { path: '/srv2' } }], 'invalid:VOLUME::HOST_PATH_NOT_ALLOWED'],
    ['pvc name', [{ name: 'a', mountPath: '/a', pvc: { claimName: 'Bad_Name' } }], 'invalid:VOLUME::INVALID_PVC_NAME'],
    ['ossfs bucket blank', [{ name: 'a', mountPath: '/a', ossfs: oss({ bucket: '  ' }) }], 'invalid:VOLUME::INVALID_OSSFS_BUCKET'],
    ['ossfs endpoint blank', [{ name: 'a', mountPath: '/a', ossfs: oss({ endpoint: '' }) }], 'invalid:VOLUME::INVALID_OSSFS_ENDPOINT'],
    ['ossfs option with a leading -', [{ name: 'a', mountPath: '/a', ossfs: oss({ options: ['-f'] }) }], 'invalid:VOLUME::INVALID_OSSFS_OPTION'],
    ['ossfs option blank', [{ name: 'a', mountPath: '/a', ossfs: oss({ options: [' '] }) }], 'invalid:VOLUME::INVALID_OSSFS_OPTION'],
    [
      'ossfs option with a newline (a second config line)',
      [{ name: 'a', mountPath: '/a', ossfs: oss({ options: ['ro\noss_bucket=other'] }) }],
      'invalid:VOLUME::INVALID_OSSFS_OPTION',
    ],
    [
      'ossfs option overriding the credentials file',
      [{ name: 'a', mountPath: '/a', ossfs: oss({ options: ['passwd_file=/etc/passwd-ossfs'] }) }],
      'invalid:VOLUME::INVALID_OSSFS_OPTION',
    ],
    [
      'ossfs option smuggling url after a comma',
      [{ name: 'a', mountPath: '/a', ossfs: oss({ options: ['allow_other,url=http://evil'] }) }],
      'invalid:VOLUME::INVALID_OSSFS_OPTION',
    ],
    ['ossfs credentials missing', [{ name: 'a', mountPath: '/a', ossfs: oss({ accessKeySecret: undefined }) }], 'invalid:VOLUME::INVALID_OSSFS_CREDENTIALS'],
    [
      'ossfs credentials with a colon (passwd line)',
      [{ name: 'a', mountPath: '/a', ossfs: oss({ accessKeyId: 'a:b' }) }],
      'invalid:VOLUME::INVALID_OSSFS_CREDENTIALS',
    ],
    [
      'options checked before credentials',
      [{ name: 'a', mountPath: '/a', ossfs: oss({ options: ['-x'], accessKeyId: '' }) }],
      'invalid:VOLUME::INVALID_OSSFS_OPTION',
    ],
    [
      'the first bad volume wins',
      [
        { name: 'a', mountPath: '/a', host: { path: '/etc' } },
        { name: 'B', mountPath: '/b', pvc: { claimName: 'v' } },
      ],
      'invalid:VOLUME::HOST_PATH_NOT_ALLOWED',
    ],
  ])('%s', (_label, vols, expected) => {
    expect(check(vols)).toBe(expected);
  });

  it('an empty allowlist rejects every host path', () => {
    expect(check([{ name: 'a', mountPath: '/a', host: { path: '/srv' } }], [])).toBe('invalid:VOLUME::HOST_PATH_NOT_ALLOWED');
  });

  it('never echoes a credential in an error message', () => {
    try {
      checkVolumes([{ name: 'a', mountPath: '/a', ossfs: oss({ accessKeySecret: 'topsecret\nvalue' }) }] as VolumeRequest[], []);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('topsecret');
    }
  });
});

describe('prepareVolumes: file system, Docker and mount-time checks', () => {
  let dir: string;
  const runtime = new FakeRuntime();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-volume-test-'));
    await mkdir(join(dir, 'allowed/sub'), { recursive: true });
    await mkdir(join(dir, 'outside'), { recursive: true });
    await writeFile(join(dir, 'allowed/file.txt'), 'x');
    await symlink('/', join(dir, 'allowed/to-root'));
    await symlink(join(dir, 'outside'), join(dir, 'allowed/to-outside'));
    await symlink(join(dir, 'allowed/sub'), join(dir, 'allowed/to-sub'));
    await symlink(join(dir, 'missing-target'), join(dir, 'allowed/dangling'));
    await runtime.createVolume('existing-vol', {});
    runtime.volumes.get('existing-vol')!.driver = 'local';
    runtime.volumes.get('existing-vol')!.mountpoint = join(dir, 'outside');
    await runtime.createVolume('remote-vol', {});
    runtime.volumes.get('remote-vol')!.driver = 'nfs-plugin';
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const prep = (vols: unknown[], over: Record<string, unknown> = {}) =>
    codeOfAsync(
      prepareVolumes({ runtime, secrets, config: testConfig({}, { allowedHostPaths: [join(dir, 'allowed')], ...over }) }, 'sbx', vols as VolumeRequest[]),
    );
  const host = (path: string, subPath?: string) => ({ name: 'h', mountPath: '/h', host: { path }, subPath });

  it('accepts a directory, a file, a path to be created and a link that stays inside', async () => {
    expect(await prep([host(join(dir, 'allowed/sub'))])).toBe('ok');
    expect(await prep([host(join(dir, 'allowed/file.txt'))])).toBe('ok');
    expect(await prep([host(join(dir, 'allowed/not/yet/there'))])).toBe('ok');
    expect(await prep([host(join(dir, 'allowed/to-sub'), 'deeper')])).toBe('ok');
  });

  it.each([
    ['a link to /', () => host(join(dir, 'allowed/to-root'))],
    ['a link out of the allowlist', () => host(join(dir, 'allowed/to-outside'))],
    ['a path below a link out of it', () => host(join(dir, 'allowed/to-outside/new-dir'))],
    ['a subPath through a link out of it', () => host(join(dir, 'allowed'), 'to-root/etc')],
    ['a dangling link (mkdir would follow it)', () => host(join(dir, 'allowed/dangling/x'))],
  ])('refuses %s with HOST_PATH_NOT_ALLOWED', async (_l, v) => {
    expect(await prep([v()])).toBe('invalid:VOLUME::HOST_PATH_NOT_ALLOWED');
  });

  it('creates nothing while validating', async () => {
    await prep([host(join(dir, 'allowed/never-created/x'))]);
    await expect(import('node:fs/promises').then((fs) => fs.stat(join(dir, 'allowed/never-created')))).rejects.toThrow();
  });

  it('pvc: missing without createIfNotExists is PVC_NOT_FOUND; missing with it is fine; a remote driver refuses subPath', async () => {
    expect(await prep([{ name: 'p', mountPath: '/p', pvc: { claimName: 'nope', createIfNotExists: false } }])).toBe('invalid:VOLUME::PVC_NOT_FOUND');
    expect(await prep([{ name: 'p', mountPath: '/p', pvc: { claimName: 'nope' } }])).toBe('ok');
    expect(await prep([{ name: 'p', mountPath: '/p', subPath: 'x', pvc: { claimName: 'remote-vol' } }])).toBe('invalid:VOLUME::PVC_SUBPATH_UNSUPPORTED_DRIVER');
    expect(await prep([{ name: 'p', mountPath: '/p', subPath: 'x', pvc: { claimName: 'existing-vol' } }])).toBe('ok');
    expect(runtime.volumes.has('nope')).toBe(false);
  });

  it('pvc: a link inside the volume cannot lead the subPath out of it', async () => {
    await symlink('/etc', join(dir, 'outside/escape'));
    expect(await prep([{ name: 'p', mountPath: '/p', subPath: 'escape', pvc: { claimName: 'existing-vol' } }])).toBe('invalid:VOLUME::INVALID_SUB_PATH');
  });

  it.each([
    ['unknown version', { version: '3.0' }, 'invalid:VOLUME::INVALID_OSSFS_VERSION'],
    ['bucket the tool would misread', { bucket: 'Bad:Bucket' }, 'invalid:SANDBOX::INVALID_PARAMETER'],
    ['endpoint with a comma (-o url=a,passwd_file=b)', { endpoint: 'http://a,passwd_file=/x' }, 'invalid:SANDBOX::INVALID_PARAMETER'],
    ['endpoint with a newline', { endpoint: 'http://a\n--oss_bucket=x' }, 'invalid:SANDBOX::INVALID_PARAMETER'],
    ['endpoint with credentials in it', { endpoint: 'http://user:pw@host' }, 'invalid:SANDBOX::INVALID_PARAMETER'],
    ['endpoint with a leading -', { endpoint: '-o' }, 'invalid:SANDBOX::INVALID_PARAMETER'],
  ])('ossfs: %s', async (_l, over, expected) => {
    expect(await prep([{ name: 'o', mountPath: '/o', ossfs: oss(over) }])).toBe(expected);
  });

  it('ossfs: a relative mount root is a 500 INVALID_OSSFS_MOUNT_ROOT', async () => {
    expect(await prep([{ name: 'o', mountPath: '/o', ossfs: oss() }], { ossfsMountRoot: 'relative/root' })).toBe('runtime:VOLUME::INVALID_OSSFS_MOUNT_ROOT');
  });

  it('ossfs: two volumes on one backend path need one mount; other credentials need another', async () => {
    const cfg = testConfig({}, { allowedHostPaths: [] });
    const plan = await prepareVolumes({ runtime, secrets, config: cfg }, 'sbx', [
      { name: 'a', mountPath: '/a', subPath: 'p/q', ossfs: oss() },
      { name: 'b', mountPath: '/b', readOnly: true, subPath: 'p//q/', ossfs: oss({ endpoint: 'https://oss-cn.example.com/' }) },
      { name: 'c', mountPath: '/c', subPath: 'p/q', ossfs: oss({ accessKeySecret: 'other' }) },
    ]);
    expect(plan.mounts).toHaveLength(2);
    const shared = plan.mounts.find((m) => m.volumeNames.length === 2)!;
    expect(shared.volumeNames).toEqual(['a', 'b']);
    expect(shared.spec).toMatchObject({ prefix: 'p/q', endpoint: 'https://oss-cn.example.com', version: '2.0' });
  });
});
