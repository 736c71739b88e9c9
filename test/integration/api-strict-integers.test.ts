import { describe, expect, it } from 'vitest';
import { DB_KINDS } from '../helpers/app.js';
import { appWithSandbox, expect400 } from '../helpers/app-with-sandbox.js';

// Integer query parameters take decimal digits only: what Number() would also read ("0x10", "1e3",
// " 1 ", "+1", "1.0") is a 400 naming the parameter, not quietly another page, limit or seq.

const NOT_DIGITS = ['0x10', '1e3', '%201%20', '+1', '1.0', '', '-0'];

describe.each(DB_KINDS)('strict query integers on %s', (kind) => {
  const s = appWithSandbox(kind);
  // an accepted ?after= would open an endless event stream: expect400 does not read one
  const expectGet400 = async (path: string, code: string, text: string) => expect400(await s.t.call('GET', path), code, text, path);

  const LIFECYCLE = [
    ['/v1/sandboxes?page=', 'page'],
    ['/v1/sandboxes?pageSize=', 'pageSize'],
    ['/v1/snapshots?page=', 'page'],
    ['/v1/events?after=', 'after'],
    ['/v1/mounts?limit=', 'limit'],
    ['/v1/webhooks/wh_none/deliveries?limit=', 'limit'],
    ['/v1/webhooks/wh_none/deliveries?beforeSeq=', 'beforeSeq'],
  ];
  it.each(LIFECYCLE.flatMap(([path, name]) => NOT_DIGITS.filter((v) => v !== '').map((v) => [`${path}${v}`, name!])))('%s', async (path, name) => {
    await expectGet400(path, 'SANDBOX::INVALID_PARAMETER', `${name}: must be an integer`);
  });

  it('digits still work', async () => {
    for (const path of ['/v1/sandboxes?page=1&pageSize=5', '/v1/mounts?limit=10', '/v1/snapshots?page=2']) {
      const res = await s.t.call('GET', path);
      expect(res.status, `${path}: ${await res.text()}`).toBe(200);
    }
  });

  it.each(NOT_DIGITS.filter((v) => v !== ''))('execd depth=%s', async (v) => {
    await expectGet400(`/v1/sandboxes/${s.sandboxId}/proxy/44772/directories/list?path=/tmp&depth=${v}`, 'INVALID_REQUEST_BODY', 'depth');
  });

  it.each(NOT_DIGITS.filter((v) => v !== ''))('execd cursor=%s', async (v) => {
    await expectGet400(`/v1/sandboxes/${s.sandboxId}/proxy/44772/command/cmd_none/logs?cursor=${v}`, 'INVALID_REQUEST_BODY', 'cursor');
  });
});
