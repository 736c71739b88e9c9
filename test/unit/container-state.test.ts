import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { exitCodeFromStatus, ipAddressOf, portsFromBindings, stateFromInspect, stateFromSummary } from '../../src/adapters/docker/container-state.js';

function inspectInfo(state: Partial<Docker.ContainerInspectInfo['State']>, ports: unknown = {}, net: object = {}): Docker.ContainerInspectInfo {
  return {
    Id: 'cid',
    State: { Status: 'running', Running: true, Paused: false, Pid: 42, ExitCode: 0, FinishedAt: '0001-01-01T00:00:00Z', ...state },
    Config: { Labels: { 'berth.managed': 'true' } },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Ports: ports, IPAddress: '172.17.0.9', Networks: { bridge: { IPAddress: '172.17.0.9' } }, ...net },
  } as unknown as Docker.ContainerInspectInfo;
}

describe('stateFromInspect', () => {
  it('maps a running container with its ports and pid', () => {
    const s = stateFromInspect(
      inspectInfo(
        {},
        {
          '8080/tcp': [
            { HostIp: '0.0.0.0', HostPort: '32768' },
            { HostIp: '::', HostPort: '32768' },
          ],
          '44772/tcp': null,
          '53/udp': [{ HostIp: '127.0.0.1', HostPort: '40001' }],
        },
      ),
    );
    expect(s).toEqual({
      containerId: 'cid',
      status: 'running',
      running: true,
      paused: false,
      exitCode: null,
      finishedAt: null,
      labels: { 'berth.managed': 'true' },
      ports: { '8080': 32768, '53/udp': 40001 },
      pid: 42,
      ipAddress: '172.17.0.9',
    });
  });

  it("reads the container's IP: the top-level one, else its network mode's, else the first network's; none is null", () => {
    const netOnly = { IPAddress: '', Networks: { other: { IPAddress: '10.0.0.2' }, mine: { IPAddress: '10.9.0.3' } } };
    expect(stateFromInspect(inspectInfo({}, {}, netOnly)).ipAddress).toBe('10.0.0.2');
    expect(ipAddressOf(netOnly, 'mine')).toBe('10.9.0.3');
    expect(ipAddressOf({ IPAddress: '', Networks: { a: { IPAddress: '' }, b: { IPAddress: '10.0.0.7' } } })).toBe('10.0.0.7');
    // stopped, or host / none network: Docker leaves the addresses empty
    expect(
      stateFromInspect(inspectInfo({ Status: 'exited', Running: false }, {}, { IPAddress: '', Networks: { bridge: { IPAddress: '' } } })).ipAddress,
    ).toBeNull();
    expect(ipAddressOf({ IPAddress: '', Networks: { host: { IPAddress: '' } } }, 'host')).toBeNull();
    expect(ipAddressOf(undefined)).toBeNull();
    expect(ipAddressOf({ Networks: null })).toBeNull();
  });

  it('keeps Docker meaning for paused (running and paused)', () => {
    const s = stateFromInspect(inspectInfo({ Status: 'paused', Paused: true }));
    expect([s.running, s.paused, s.status]).toEqual([true, true, 'paused']);
  });

  it('has an exit code and finish time only once ended', () => {
    const ended = stateFromInspect(inspectInfo({ Status: 'exited', Running: false, Pid: 0, ExitCode: 3, FinishedAt: '2026-01-02T03:04:05.5Z' }));
    expect(ended.exitCode).toBe(3);
    expect(ended.finishedAt?.toISOString()).toBe('2026-01-02T03:04:05.500Z');
    const created = stateFromInspect(inspectInfo({ Status: 'created', Running: false, Pid: 0 }));
    expect(created.exitCode).toBeNull();
    expect(created.finishedAt).toBeNull();
  });
});

describe('stateFromSummary', () => {
  const summary = (State: string, Status: string, Ports: Docker.Port[] = []) =>
    ({ Id: 'cid', State, Status, Labels: { a: 'b' }, Ports }) as unknown as Docker.ContainerInfo;

  it('reads the exit code from the Status text', () => {
    expect(exitCodeFromStatus('Exited (3) Less than a second ago')).toBe(3);
    expect(exitCodeFromStatus('Exited (137) 5 minutes ago')).toBe(137);
    expect(exitCodeFromStatus('Up 5 seconds (Paused)')).toBeNull();
    expect(stateFromSummary(summary('exited', 'Exited (0) 1 second ago')).exitCode).toBe(0);
    expect(stateFromSummary(summary('dead', 'Dead')).exitCode).toBeNull();
    expect(stateFromSummary(summary('running', 'Up 1 second')).exitCode).toBeNull();
  });

  it("reads the container's IP from its networks", () => {
    const info = {
      ...summary('running', 'Up 1 second'),
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.4' } } },
    };
    expect(stateFromSummary(info as unknown as Docker.ContainerInfo).ipAddress).toBe('172.17.0.4');
    expect(stateFromSummary(summary('exited', 'Exited (0) now')).ipAddress).toBeNull();
  });

  it('maps running/paused flags and published ports', () => {
    const s = stateFromSummary(
      summary('paused', 'Up 5 seconds (Paused)', [
        { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 49153, Type: 'tcp' },
        { IP: '', PrivatePort: 9000, PublicPort: 0, Type: 'tcp' } as Docker.Port,
      ]),
    );
    expect([s.running, s.paused]).toEqual([true, true]);
    expect(s.ports).toEqual({ '8080': 49153 });
    expect(s.labels).toEqual({ a: 'b' });
    expect(stateFromSummary(summary('exited', 'Exited (1) now')).running).toBe(false);
  });

  it('portsFromBindings tolerates null and empty maps', () => {
    expect(portsFromBindings(null)).toEqual({});
    expect(portsFromBindings({ '80/tcp': [] })).toEqual({});
  });
});
