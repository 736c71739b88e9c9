import { describe, expect, it } from 'vitest';
import { assertValidMetadata, mergeMetadata, parseMetadataFilter } from '../../src/domain/sandbox/metadata.js';
import { parseCpu, parseGpu, parseMemory, parseResourceLimits } from '../../src/domain/sandbox/resources.js';
import { stateForExit } from '../../src/domain/sandbox/states.js';
import { sandboxContainerSpec } from '../../src/domain/sandbox/container-spec.js';
import { loadConfig } from '../../src/config.js';
import { validateCreate } from '../../src/domain/sandbox/validate-create.js';
import { DomainError } from '../../src/domain/errors.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as DomainError).code;
  }
  return 'no error';
};

describe('resource limits (upstream parsing)', () => {
  it('parses cpu as millicores or cores', () => {
    expect(parseCpu('500m')).toBe(500_000_000);
    expect(parseCpu('2')).toBe(2_000_000_000);
    expect(parseCpu('0.25')).toBe(250_000_000);
    expect(parseCpu('0')).toBeUndefined();
    expect(parseCpu('lots')).toBeUndefined();
  });
  it('parses memory with decimal and binary suffixes, ignoring decimals like upstream', () => {
    expect(parseMemory('512Mi')).toBe(512 * 2 ** 20);
    expect(parseMemory('2Gi')).toBe(2 * 2 ** 30);
    expect(parseMemory('1G')).toBe(1e9);
    expect(parseMemory('100kb')).toBe(100_000);
    expect(parseMemory('1048576')).toBe(1048576);
    expect(parseMemory('1.5Gi')).toBeUndefined();
    expect(parseMemory('-1Gi')).toBeUndefined();
  });
  it('parses gpu counts and all', () => {
    expect(parseGpu('1')).toBe(1);
    expect(parseGpu('all')).toBe(-1);
    expect(parseGpu('x')).toBeUndefined();
  });
  it('parses a pids limit', () => {
    expect(parseResourceLimits({ pids: '256' }).pids).toBe(256);
    expect(parseResourceLimits({ pids: '0' })).toEqual({ pids: undefined, ignored: ['pids'] });
  });
  it('reports what it ignored', () => {
    expect(parseResourceLimits({ cpu: '1', memory: 'huge', disk: '1Gi' })).toEqual({ nanoCpus: 1e9, memoryBytes: undefined, ignored: ['memory', 'disk'] });
  });
});

describe('metadata rules', () => {
  it('accepts label-shaped keys and values, including empty values and prefixed keys', () => {
    expect(() => assertValidMetadata({ team: 'a', 'a.example.com/b': '', x_y: 'v.1-2' }, 'INVALID_METADATA_LABEL')).not.toThrow();
  });
  it('refuses the reserved prefix with the path-specific code', () => {
    expect(codeOf(() => assertValidMetadata({ 'opensandbox.io/x': 'v' }, 'INVALID_METADATA_LABEL'))).toBe('INVALID_METADATA_LABEL');
    expect(codeOf(() => assertValidMetadata({ 'opensandbox.io/x': 'v' }, 'SANDBOX::INVALID_METADATA_LABEL'))).toBe('SANDBOX::INVALID_METADATA_LABEL');
  });
  it('refuses bad keys and values', () => {
    for (const md of [
      { '-a': 'v' },
      { 'a b': 'v' },
      { ['k'.repeat(64)]: 'v' },
      { 'UP.case/x': 'v' },
      { k: 'v'.repeat(64) },
      { k: 'bad value' },
      { k: '-v' },
    ] as Record<string, string>[])
      expect(codeOf(() => assertValidMetadata(md, 'INVALID_METADATA_LABEL'))).toBe('SANDBOX::INVALID_METADATA_LABEL');
  });
  it('merges like RFC 7396 on a flat map', () => {
    expect(mergeMetadata({ a: '1', b: '2' }, { b: null, c: '3', z: null })).toEqual({ a: '1', c: '3' });
  });
  it('parses the list filter like parse_qsl(strict)', () => {
    expect(parseMetadataFilter('a=1&b=')).toEqual({ a: '1', b: '' });
    expect(parseMetadataFilter('a.example.com%2Fb=v')).toEqual({ 'a.example.com/b': 'v' });
    expect(parseMetadataFilter(undefined)).toEqual({});
    expect(codeOf(() => parseMetadataFilter('a=1&broken'))).toBe('INVALID_METADATA_FORMAT');
    expect(codeOf(() => parseMetadataFilter('=v'))).toBe('INVALID_METADATA_FORMAT');
    expect(codeOf(() => parseMetadataFilter('a=%zz'))).toBe('INVALID_METADATA_FORMAT');
  });
});

describe('create validation order and codes', () => {
  const base = { image: { uri: 'berth-base:latest' }, entrypoint: ['tail', '-f', '/dev/null'], resourceLimits: {} };
  const cfg = { maxTimeoutSeconds: 3600 };
  it('accepts the SDK defaults and drops null env values', () => {
    const v = validateCreate({ ...base, timeout: 600, env: { A: '1', B: null }, metadata: {}, extensions: {}, secureAccess: false }, cfg);
    expect(v.env).toEqual({ A: '1' });
    expect(v.timeoutSeconds).toBe(600);
  });
  it.each([
    [{ extensions: { 'access.renew.extend.seconds': '10' } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ entrypoint: [] }, 'DOCKER::INVALID_ENTRYPOINT'],
    [{ entrypoint: [''] }, 'DOCKER::INVALID_ENTRYPOINT'],
    [{ image: { uri: 'Not A Ref' } }, 'SANDBOX::INVALID_PARAMETER'],
    // the engine refuses a repository name past 255 characters (a fuzz run found it answered 500)
    [{ image: { uri: '-x.io/nope:latest' } }, 'SANDBOX::INVALID_PARAMETER'],
    // (the limit counts the normalized name: docker.io/library/ + 238 is 256)
    [{ image: { uri: `${'a'.repeat(238)}:latest` } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ image: { uri: `user/${'a'.repeat(241)}:latest` } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ image: { uri: `registry.local:5000/${'a'.repeat(236)}@sha256:${'0'.repeat(64)}` } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ metadata: { 'opensandbox.io/id': 'x' } }, 'SANDBOX::INVALID_METADATA_LABEL'],
    [{ platform: { os: 'windows', arch: 'amd64' } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ platform: { os: 'linux', arch: 'mips' } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ timeout: 7200 }, 'SANDBOX::INVALID_PARAMETER'],
    [{ secureAccess: true }, 'SANDBOX::INVALID_PARAMETER'],
    [{ networkPolicy: { defaultAction: 'deny' } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ env: { 'A=B': 'x' } }, 'SANDBOX::INVALID_PARAMETER'],
    [{ snapshotId: 'snap' }, 'SANDBOX::INVALID_PARAMETER'],
  ])('refuses %j with %s', (patch, code) => {
    expect(codeOf(() => validateCreate({ ...base, ...patch } as never, cfg))).toBe(code);
  });
  it('takes a normalized repository of exactly 255 characters, with a tag, a digest and a registry port', () => {
    for (const uri of [`${'a'.repeat(237)}:v1`, `user/${'a'.repeat(240)}`, `registry.local:5000/${'a'.repeat(235)}:v1@sha256:${'0'.repeat(64)}`])
      expect(validateCreate({ ...base, image: { uri } }, cfg).image).toBe(uri);
  });
  it('checks extensions before the entrypoint, as upstream', () => {
    expect(codeOf(() => validateCreate({ ...base, entrypoint: [], extensions: { 'access.renew.extend.seconds': '1' } }, cfg))).toBe(
      'SANDBOX::INVALID_PARAMETER',
    );
  });
});

describe('container exit mapping', () => {
  it('maps exit 0 to Terminated and anything else to Failed', () => {
    expect(stateForExit(0).state).toBe('Terminated');
    expect(stateForExit(3)).toMatchObject({ state: 'Failed', reason: 'container_exited', message: 'Sandbox container exited with code 3.' });
  });
});

describe('sandbox container spec', () => {
  const config = loadConfig({ BERTH_PIDS_LIMIT: '4096' }, 'h');
  const intent = (resourceLimits: Record<string, string>) => ({
    id: 's1',
    containerName: 'sandbox-s1',
    image: 'i',
    entrypoint: ['x'],
    env: {},
    resourceLimits,
  });
  it('lets a sandbox ask for fewer processes than the operator allows, never more', () => {
    expect(sandboxContainerSpec(intent({ pids: '100' }), { config, instanceId: 'i', binds: [] }).spec.pidsLimit).toBe(100);
    expect(sandboxContainerSpec(intent({ pids: '99999' }), { config, instanceId: 'i', binds: [] }).spec.pidsLimit).toBe(4096);
    expect(sandboxContainerSpec(intent({}), { config, instanceId: 'i', binds: [] }).spec.pidsLimit).toBe(4096);
  });
  it("labels the container as berth's, with the instance, host and sandbox ids, and hardens it", () => {
    const { spec } = sandboxContainerSpec(intent({ cpu: '250m', memory: '64Mi' }), { config, instanceId: 'inst', binds: ['/a:/b:ro'] });
    expect(spec.labels).toMatchObject({
      'berth.managed': 'true',
      'berth.instance': 'inst',
      'berth.sandbox-id': 's1',
      'berth.host-id': 'h',
      'opensandbox.io/id': 's1',
    });
    expect(spec).toMatchObject({
      nanoCpus: 250_000_000,
      memoryBytes: 64 * 2 ** 20,
      securityOpt: ['no-new-privileges:true'],
      binds: ['/a:/b:ro'],
      publishedPorts: [8080], // the default: berth serves execd (44772) itself
    });
    expect(spec.capDrop).toContain('NET_RAW');
  });
});
