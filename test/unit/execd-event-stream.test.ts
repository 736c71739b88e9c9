import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { eventStream } from '../../src/http/routes/execd/sse.js';
import { RecordingLogger } from '../fakes/recording-logger.js';
import { framesOf } from '../helpers/exec-stream.js';

const context = { get: () => 'req-1' } as unknown as Context;

describe('execd event stream', () => {
  it('sends exactly one closing event when the run fails after it sent its own', async () => {
    const log = new RecordingLogger();
    const res = eventStream(context, log, async (sink) => {
      await sink.emit({ type: 'init', text: 'cmd_1', timestamp: 1 });
      await sink.emit({ type: 'execution_complete', execution_time: 1, timestamp: 2 });
      throw new Error('saving the session state failed');
    });
    const frames = framesOf(await res.text());
    expect(frames.map((f) => f.type)).toEqual(['init', 'execution_complete']);
    expect(log.find('execd stream failed')).toHaveLength(1);
  });

  it('closes a run that fails before its end with one error event', async () => {
    const res = eventStream(context, new RecordingLogger(), async (sink) => {
      await sink.emit({ type: 'init', text: 'cmd_1', timestamp: 1 });
      throw new Error('the engine went away');
    });
    const frames = framesOf(await res.text());
    expect(frames.map((f) => f.type)).toEqual(['init', 'error']);
    expect(frames[1]!.error).toMatchObject({ ename: 'CommandExecError', evalue: 'the engine went away' });
  });
});
