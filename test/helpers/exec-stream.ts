/** execd's command stream, parsed: frames are JSON objects separated by blank lines (an optional `data:` prefix). */
export type Frame = {
  type: string;
  text?: string;
  timestamp?: number;
  execution_time?: number;
  error?: { ename: string; evalue: string; traceback: string[] };
};

export async function readFrames(res: Response): Promise<Frame[]> {
  const text = await res.text();
  return framesOf(text);
}

export function framesOf(text: string): Frame[] {
  return text
    .split('\n\n')
    .map((f) => f.trim().replace(/^data:\s*/, ''))
    .filter((f) => f.length > 0)
    .map((f) => JSON.parse(f) as Frame);
}

/** stdout (or stderr) texts in order */
export const textsOf = (frames: Frame[], type: 'stdout' | 'stderr') => frames.filter((f) => f.type === type).map((f) => f.text);
