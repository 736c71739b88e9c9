import { describe, expect, it } from 'vitest';
import { createBody, DB_KINDS, TEST_API_KEY } from '../helpers/app.js';
import { appWithSandbox, expect400 as expectProblem } from '../helpers/app-with-sandbox.js';

// Bad input, field by field: every case answers 400 {code, message}, the message names the field, and
// nothing is left behind (no row in `sandboxes`, no container, not even a createAndStart call).

type Case = [label: string, overrides: Record<string, unknown>, field: string, code?: string];

const INVALID = 'SANDBOX::INVALID_PARAMETER';

const CREATE_CASES: Case[] = [
  ['image not an object', { image: 5 }, 'image'],
  ['image without uri', { image: {} }, 'image.uri: is required'],
  ['image.uri empty', { image: { uri: '' } }, 'image.uri'],
  ['image.uri not a reference', { image: { uri: 'Not An Image!' } }, 'image.uri'],
  ['image.auth.username not a string', { image: { uri: 'busybox', auth: { username: 1, password: 'p' } } }, 'image.auth.username'],
  ['image missing', { image: undefined }, 'image or snapshotId is required'],
  ['timeout below 60', { timeout: 59 }, 'timeout: must be >= 60'],
  ['timeout fractional', { timeout: 60.5 }, 'timeout: must be an integer'],
  ['timeout a string', { timeout: '600' }, 'timeout: expected number, got string'],
  ['timeout beyond int4', { timeout: 2 ** 31 }, 'timeout: must be <= 2147483647'],
  ['resourceLimits value a number', { resourceLimits: { cpu: 1 } }, 'resourceLimits.cpu: expected string'],
  ['resourceLimits an array', { resourceLimits: ['1'] }, 'resourceLimits'],
  ['resourceLimits missing', { resourceLimits: undefined }, 'resourceLimits is required'],
  ['resourceLimits null', { resourceLimits: null }, 'resourceLimits is required'],
  ['resourceLimits missing on a restore', { image: undefined, snapshotId: 'snap_1', resourceLimits: undefined }, 'resourceLimits is required'],
  ['resourceRequests value a number', { resourceRequests: { cpu: 1 } }, 'resourceRequests.cpu'],
  ['env value a number', { env: { A: 1 } }, 'env.A'],
  ['env key with =', { env: { 'A=B': 'x' } }, "env key 'A=B'"],
  ['metadata value a number', { metadata: { k: 1 } }, 'metadata.k'],
  ['metadata reserved prefix', { metadata: { 'opensandbox.io/x': 'y' } }, 'opensandbox.io/x', 'SANDBOX::INVALID_METADATA_LABEL'],
  ['metadata bad value', { metadata: { k: 'not a label!' } }, "value of 'k'", 'SANDBOX::INVALID_METADATA_LABEL'],
  ['metadata bad key', { metadata: { 'bad key': 'v' } }, "'bad key'", 'SANDBOX::INVALID_METADATA_LABEL'],
  ['entrypoint empty', { entrypoint: [] }, 'entrypoint: must have at least 1 item'],
  ['entrypoint a string', { entrypoint: 'tail -f /dev/null' }, 'entrypoint'],
  ['entrypoint element a number', { entrypoint: ['sleep', 5] }, 'entrypoint[1]'],
  ['entrypoint empty command', { entrypoint: [''] }, 'Entrypoint', 'DOCKER::INVALID_ENTRYPOINT'],
  ['entrypoint missing', { entrypoint: undefined }, 'Entrypoint', 'DOCKER::INVALID_ENTRYPOINT'],
  ['platform without arch', { platform: { os: 'linux' } }, 'platform.arch: is required'],
  ['platform windows', { platform: { os: 'windows', arch: 'amd64' } }, 'Platform os'],
  ['platform arch unknown', { platform: { os: 'linux', arch: 'x86' } }, 'Platform arch'],
  ['extensions value a number', { extensions: { a: 1 } }, 'extensions.a'],
  ['extensions renew out of range', { extensions: { 'access.renew.extend.seconds': '10' } }, "extensions['access.renew.extend.seconds']"],
  ['secureAccess not a boolean', { secureAccess: 'yes' }, 'secureAccess: expected boolean'],
  ['secureAccess true on Docker', { secureAccess: true }, 'secureAccess'],
  ['networkPolicy bad action', { networkPolicy: { defaultAction: 'maybe' } }, 'networkPolicy.defaultAction: must be one of'],
  ['networkPolicy egress rule without target', { networkPolicy: { egress: [{ action: 'allow' }] } }, 'networkPolicy.egress[0].target'],
  ['networkPolicy unsupported', { networkPolicy: { defaultAction: 'deny' } }, 'networkPolicy'],
  ['credentialProxy.enabled not a boolean', { credentialProxy: { enabled: 'on' } }, 'credentialProxy.enabled'],
  ['credentialProxy enabled', { credentialProxy: { enabled: true } }, 'credentialProxy'],
  ['snapshotId a number', { snapshotId: 5 }, 'snapshotId'],
  ['snapshotId together with image', { snapshotId: 'snap_1' }, 'exactly one of image or snapshotId'],
  ['volumes not an array', { volumes: 'data' }, 'volumes'],
  ['volume name a number', { volumes: [{ name: 5, mountPath: '/d', host: { path: '/tmp' } }] }, 'volumes[0].name'],
  ['volume without mountPath', { volumes: [{ name: 'a', host: { path: '/tmp' } }] }, 'volumes[0].mountPath: is required'],
  ['volume readOnly a string', { volumes: [{ name: 'a', mountPath: '/d', readOnly: 'no' }] }, 'volumes[0].readOnly'],
  ['volume host.path a number', { volumes: [{ name: 'a', mountPath: '/d', host: { path: 1 } }] }, 'volumes[0].host.path'],
  ['volume pvc without claimName', { volumes: [{ name: 'a', mountPath: '/d', pvc: {} }] }, 'volumes[0].pvc.claimName'],
  [
    'volume ossfs options not a list',
    { volumes: [{ name: 'a', mountPath: '/d', ossfs: { bucket: 'b', endpoint: 'e', options: 'x' } }] },
    'volumes[0].ossfs.options',
  ],
  ['volume with an unknown backend', { volumes: [{ name: 'a', mountPath: '/d', nfs: { server: 'x', path: '/' } }] }, 'Volumes', 'VOLUME::UNSUPPORTED_BACKEND'],
];

describe.each(DB_KINDS)('bad input on %s', (kind) => {
  const s = appWithSandbox(kind, createBody({ metadata: { keep: 'me' } }));

  const expect400 = (res: Response, field: string, code = INVALID) => expectProblem(res, code, field);

  it.each(CREATE_CASES)('create: %s', async (_label, overrides, field, code) => {
    const rows = await s.t.countRows();
    const containers = s.t.runtime.count;
    const starts = s.t.runtime.calls.filter((c) => c.startsWith('createAndStart')).length;
    await expect400(await s.t.call('POST', '/v1/sandboxes', createBody(overrides)), field, code);
    expect(await s.t.countRows()).toBe(rows);
    expect(s.t.runtime.count).toBe(containers);
    expect(s.t.runtime.calls.filter((c) => c.startsWith('createAndStart')).length).toBe(starts);
  });

  it('create: a body that is not JSON, not an object, or not sent as JSON', async () => {
    const rows = await s.t.countRows();
    await expect400(await s.t.call('POST', '/v1/sandboxes', '{"image": '), 'Malformed JSON');
    await expect400(await s.t.call('POST', '/v1/sandboxes', []), 'body: expected object');
    await expect400(await s.t.call('POST', '/v1/sandboxes', 'null'), 'body');
    const form = await s.t.app.request('/v1/sandboxes', {
      method: 'POST',
      headers: { 'OPEN-SANDBOX-API-KEY': TEST_API_KEY, 'Content-Type': 'text/plain' },
      body: JSON.stringify(createBody()),
    });
    expect(form.status).toBe(415);
    expect((await form.json()).code).toBe('GENERAL::UNSUPPORTED_MEDIA_TYPE');
    const huge = await s.t.call('POST', '/v1/sandboxes', createBody({ env: { BIG: 'x'.repeat(1_100_000) } }));
    expect(huge.status).toBe(413);
    expect((await huge.json()).code).toBe('GENERAL::PAYLOAD_TOO_LARGE');
    expect(await s.t.countRows()).toBe(rows);
  });

  it.each([
    ['page=0', 'page: must be >= 1'],
    ['page=-1', 'page: must be an integer'],
    ['page=abc', 'page: must be an integer'],
    ['page=1.5', 'page: must be an integer'],
    ['page=1&page=2', 'page: expected string, got array'],
    ['pageSize=0', 'pageSize: must be >= 1'],
    ['pageSize=201', 'pageSize: must be <= 200'],
    ['pageSize=ten', 'pageSize: must be an integer'],
  ])('list: %s', async (query, field) => {
    await expect400(await s.t.call('GET', `/v1/sandboxes?${query}`), field);
  });

  it.each([
    ['a segment without =', encodeURIComponent('team=ml&broken')],
    ['an empty key', encodeURIComponent('=v')],
    ['a bad percent-encoding inside', encodeURIComponent('a=%ZZ')],
  ])('list: metadata with %s is INVALID_METADATA_FORMAT', async (_label, value) => {
    await expect400(await s.t.call('GET', `/v1/sandboxes?metadata=${value}`), 'metadata', 'INVALID_METADATA_FORMAT');
  });

  it.each([
    ['an array body', [], 'body: expected record'],
    ['a string body', '"k=v"', 'body'],
    ['a number value', { k: 1 }, 'k: expected string'],
    ['a nested object value', { k: { v: 1 } }, 'k: expected string'],
    ['a reserved key', { 'opensandbox.io/owner': 'x' }, 'opensandbox.io/owner', 'INVALID_METADATA_LABEL'],
    ['an invalid value', { ok: 'v', team: 'has space' }, "value of 'team'", 'SANDBOX::INVALID_METADATA_LABEL'],
    ['an invalid key', { ok: 'v', 'bad key': 'v' }, "'bad key'", 'SANDBOX::INVALID_METADATA_LABEL'],
    ['malformed JSON', '{"a":', 'Malformed JSON'],
  ] as Array<[string, unknown, string, string?]>)('patch metadata: %s, all-or-nothing', async (_label, body, field, code) => {
    await expect400(await s.t.call('PATCH', `/v1/sandboxes/${s.sandboxId}/metadata`, body), field, code);
    const after = await (await s.t.call('GET', `/v1/sandboxes/${s.sandboxId}`)).json();
    expect(after.metadata).toEqual({ keep: 'me' });
  });

  it.each([
    ['no expiresAt', {}, 'expiresAt: is required'],
    ['a number', { expiresAt: 1893456000 }, 'expiresAt: expected string'],
    ['not a date', { expiresAt: 'tomorrow' }, 'expiresAt: must be an RFC 3339 date-time'],
    ['an impossible date', { expiresAt: '2031-02-30T00:00:00Z' }, 'expiresAt: must be an RFC 3339 date-time'],
    ['a date without a time', { expiresAt: '2031-01-01' }, 'expiresAt: must be an RFC 3339 date-time'],
    ['in the past', { expiresAt: '2001-01-01T00:00:00Z' }, 'must be in the future', 'DOCKER::INVALID_EXPIRATION'],
    ['an array body', [], 'body'],
    ['malformed JSON', '{', 'Malformed JSON'],
  ] as Array<[string, unknown, string, string?]>)('renew: %s leaves the expiry alone', async (_label, body, field, code) => {
    const before = (await (await s.t.call('GET', `/v1/sandboxes/${s.sandboxId}`)).json()).expiresAt;
    await expect400(await s.t.call('POST', `/v1/sandboxes/${s.sandboxId}/renew-expiration`, body), field, code);
    expect((await (await s.t.call('GET', `/v1/sandboxes/${s.sandboxId}`)).json()).expiresAt).toBe(before);
  });
});
