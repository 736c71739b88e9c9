import { describe, expect, it } from 'vitest';
import { buildCreateOptions, publishesPorts } from '../../src/adapters/docker/container-spec.js';
import type { ContainerSpec } from '../../src/domain/ports.js';

const base: ContainerSpec = {
  name: 'sandbox-abc',
  image: 'berth-base:latest',
  cmd: ['tail', '-f', '/dev/null'],
  env: { A: '1', B: 'x=y' },
  labels: { 'berth.managed': 'true', team: 'a' },
  networkMode: 'bridge',
  publishedPorts: [44772, 8080],
  publishHostIp: '127.0.0.1',
  capDrop: ['NET_RAW', 'SYS_ADMIN'],
  securityOpt: ['no-new-privileges:true'],
  binds: ['/data:/mnt/data:ro', 'vol1:/mnt/v'],
};

describe('buildCreateOptions', () => {
  it('maps name, image, env, labels, binds and security settings', () => {
    const o = buildCreateOptions(base);
    expect(o.name).toBe('sandbox-abc');
    expect(o.Image).toBe('berth-base:latest');
    expect(o.Env).toEqual(['A=1', 'B=x=y']);
    expect(o.Labels).toEqual({ 'berth.managed': 'true', team: 'a' });
    expect(o.HostConfig?.Binds).toEqual(['/data:/mnt/data:ro', 'vol1:/mnt/v']);
    expect(o.HostConfig?.CapDrop).toEqual(['NET_RAW', 'SYS_ADMIN']);
    expect(o.HostConfig?.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(o.HostConfig?.NetworkMode).toBe('bridge');
    expect(o.HostConfig?.Init).toBe(true);
  });

  it("replaces the image's ENTRYPOINT: first word as Entrypoint, the rest as Cmd", () => {
    expect(buildCreateOptions(base)).toMatchObject({ Entrypoint: ['tail'], Cmd: ['-f', '/dev/null'] });
    const sh = buildCreateOptions({ ...base, cmd: ['/bin/sh', '-c', 'exit 3'] });
    expect(sh.Entrypoint).toEqual(['/bin/sh']);
    expect(sh.Cmd).toEqual(['-c', 'exit 3']);
    // a single word still gets an explicit empty Cmd, so the image's CMD is not appended
    expect(buildCreateOptions({ ...base, cmd: ['/bin/true'] })).toMatchObject({ Entrypoint: ['/bin/true'], Cmd: [] });
  });

  it("keeps the image's own entrypoint when cmd is empty", () => {
    const o = buildCreateOptions({ ...base, cmd: [] });
    expect(o.Entrypoint).toBeUndefined();
    expect(o.Cmd).toBeUndefined();
  });

  it('sets limits only when given', () => {
    const none = buildCreateOptions(base).HostConfig!;
    expect(none.NanoCpus).toBeUndefined();
    expect(none.Memory).toBeUndefined();
    expect(none.PidsLimit).toBeUndefined();
    expect(none.DeviceRequests).toBeUndefined();
    const hc = buildCreateOptions({ ...base, nanoCpus: 5e8, memoryBytes: 256 * 2 ** 20, pidsLimit: 4096, gpuCount: 2 }).HostConfig!;
    expect(hc.NanoCpus).toBe(500_000_000);
    expect(hc.Memory).toBe(268_435_456);
    expect(hc.PidsLimit).toBe(4096);
    expect(hc.DeviceRequests).toEqual([{ Driver: '', Count: 2, Capabilities: [['gpu']], Options: {} }]);
  });

  it('asks for all GPUs with count -1', () => {
    expect(buildCreateOptions({ ...base, gpuCount: -1 }).HostConfig!.DeviceRequests![0]!.Count).toBe(-1);
  });

  it('publishes each port on the configured host IP with a Docker-chosen host port', () => {
    const o = buildCreateOptions(base);
    expect(o.ExposedPorts).toEqual({ '44772/tcp': {}, '8080/tcp': {} });
    expect(o.HostConfig?.PortBindings).toEqual({
      '44772/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
  });

  it.each(['host', 'none', 'container:abc'])('publishes nothing in network mode %s', (mode) => {
    const o = buildCreateOptions({ ...base, networkMode: mode });
    expect(o.HostConfig?.NetworkMode).toBe(mode);
    expect(o.HostConfig?.PortBindings).toBeUndefined();
    expect(o.ExposedPorts).toBeUndefined();
  });

  it('publishes on a user-defined network', () => {
    expect(publishesPorts('my-net')).toBe(true);
    expect(buildCreateOptions({ ...base, networkMode: 'my-net' }).HostConfig?.PortBindings).toBeDefined();
  });

  it('does not share arrays or objects with the spec', () => {
    const spec = structuredClone(base);
    const o = buildCreateOptions(spec);
    o.HostConfig!.Binds!.push('/x:/y');
    o.Labels!.extra = '1';
    expect(spec.binds).toEqual(base.binds);
    expect(spec.labels).toEqual(base.labels);
  });
});
