import { describe, expect, it } from 'vitest';
import { normalizeEndpoint } from '../../src/domain/volumes/ossfs-rules.js';
import type { VolumeRequest } from '../../src/domain/volumes/port.js';
import { checkVolumes } from '../../src/domain/volumes/validate.js';
import { codeOf } from '../helpers/domain-error-code.js';

// Volume requests a fuzz run sent: each is a 400 with the volume rules' own code, before anything is made.

const host = (mountPath: string, path = '/srv/x') => codeOf(() => checkVolumes([{ name: 'a', mountPath, host: { path } }] as VolumeRequest[], ['/srv']));

describe('mountPath: not the root, not the kernel file systems', () => {
  it.each(['/', '//', '/proc', '/proc/', '/proc/self', '/sys', '/sys/fs/cgroup', '/dev', '/dev/shm', '//proc', '/./sys', '/x/../dev', '/tmp/../'])(
    '%s',
    (mountPath) => {
      expect(host(mountPath)).toBe('invalid:VOLUME::INVALID_MOUNT_PATH');
    },
  );

  it.each(['/data', '/process', '/system', '/devices', '/home/dev', '/srv/proc'])('%s is fine', (mountPath) => {
    expect(host(mountPath)).toBe('ok');
  });
});

describe("host path: within Linux's NAME_MAX and PATH_MAX", () => {
  it('a component of 255 bytes is fine, of 256 is not', () => {
    expect(host('/d', `/srv/${'a'.repeat(255)}`)).toBe('ok');
    expect(host('/d', `/srv/${'a'.repeat(256)}`)).toBe('invalid:VOLUME::INVALID_HOST_PATH');
  });

  it('counts bytes, not characters', () => {
    expect(host('/d', `/srv/${'é'.repeat(127)}`)).toBe('ok'); // 254 bytes
    expect(host('/d', `/srv/${'é'.repeat(128)}`)).toBe('invalid:VOLUME::INVALID_HOST_PATH'); // 256 bytes
  });

  it('4096 bytes in all is fine, 4097 is not', () => {
    const within = `/srv${'/b'.repeat(2046)}`; // 4 + 4092 = 4096
    expect(Buffer.byteLength(within)).toBe(4096);
    expect(host('/d', within)).toBe('ok');
    expect(host('/d', `${within}c`)).toBe('invalid:VOLUME::INVALID_HOST_PATH');
  });

  it('the message of an over-long path is bounded', () => {
    try {
      checkVolumes([{ name: 'a', mountPath: '/d', host: { path: `/srv/${'a'.repeat(100_000)}` } }] as VolumeRequest[], ['/srv']);
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(500);
      return;
    }
    throw new Error('accepted');
  });
});

describe('ossfs endpoint: a host name or an http(s) URL', () => {
  it.each(['file:///etc', 'file:/etc', 'ftp://oss.example.com', 'javascript:alert(1)', 'gopher://x', 'FILE:///etc'])('%s', (endpoint) => {
    expect(codeOf(() => normalizeEndpoint('a', endpoint))).toBe('invalid:SANDBOX::INVALID_PARAMETER');
  });

  it.each([
    ['oss-cn-hangzhou.aliyuncs.com', 'https://oss-cn-hangzhou.aliyuncs.com'],
    ['http://oss.example.com', 'http://oss.example.com'],
    ['HTTPS://oss.example.com/', 'HTTPS://oss.example.com'],
    ['oss.example.com:8080', 'https://oss.example.com:8080'],
    ['127.0.0.1:9000', 'https://127.0.0.1:9000'],
  ])('%s is fine', (endpoint, url) => {
    expect(normalizeEndpoint('a', endpoint)).toBe(url);
  });
});
