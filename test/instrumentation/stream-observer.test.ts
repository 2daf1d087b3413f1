import { describe, expect, it } from 'vitest';
import { observeIterator, type StreamHooks } from '../../src/instrumentation/stream-observer.ts';

type End = [error: unknown, how: string];

/** Hooks that log what they see; `hide` hides items, `failure` is returned at a normal end. */
function watch(hide: (v: number) => boolean = () => false, failure?: Error) {
  const seen: number[] = [];
  const ends: End[] = [];
  const hooks: StreamHooks<number> = {
    item(v) {
      seen.push(v);
      return !hide(v);
    },
    end(error, how) {
      ends.push([error, how]);
      return how === 'done' ? failure : undefined;
    },
  };
  return { seen, ends, hooks };
}

async function* numbers(n: number, failAt?: number) {
  for (let i = 1; i <= n; i++) {
    if (i === failAt) throw new Error(`broken at ${i}`);
    yield i;
  }
}

const drain = async (it: AsyncIterator<number>) => {
  const got: number[] = [];
  for await (const v of { [Symbol.asyncIterator]: () => it }) got.push(v);
  return got;
};

describe('observeIterator', () => {
  it('hands every item on unchanged and ends once, at the end', async () => {
    const w = watch();
    expect(await drain(observeIterator(numbers(5), w.hooks))).toEqual([1, 2, 3, 4, 5]);
    expect(w.seen).toEqual([1, 2, 3, 4, 5]);
    expect(w.ends).toEqual([[undefined, 'done']]);
  });

  it('hidden items are seen but not handed on, the last one included', async () => {
    const w = watch((v) => v % 2 === 0);
    expect(await drain(observeIterator(numbers(6), w.hooks))).toEqual([1, 3, 5]);
    expect(w.seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(w.ends).toEqual([[undefined, 'done']]);
  });

  it('a failure returned at the end is thrown to the consumer after the items', async () => {
    const failure = new Error('no usage');
    const w = watch(() => false, failure);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of { [Symbol.asyncIterator]: () => observeIterator(numbers(2), w.hooks) })
          got.push(v);
      })(),
    ).rejects.toBe(failure);
    expect(got).toEqual([1, 2]);
  });

  it('a source that throws ends the call with its error, which the consumer still gets', async () => {
    const w = watch();
    await expect(drain(observeIterator(numbers(5, 3), w.hooks))).rejects.toThrow('broken at 3');
    expect(w.seen).toEqual([1, 2]);
    expect(w.ends).toHaveLength(1);
    expect((w.ends[0]![0] as Error).message).toBe('broken at 3');
    expect(w.ends[0]![1]).toBe('error');
  });

  it('a next() that throws synchronously ends the call and rejects', async () => {
    const w = watch();
    const source: AsyncIterator<number> = {
      next() {
        throw new Error('sync');
      },
    };
    await expect(observeIterator(source, w.hooks).next()).rejects.toThrow('sync');
    expect(w.ends.map(([, how]) => how)).toEqual(['error']);
  });

  it('a source returning thenables or plain results is read all the same', async () => {
    const w = watch();
    let i = 0;
    const source = {
      next: () =>
        i++ % 2
          ? ({ then: (ok: (r: IteratorResult<number>) => void) => ok({ done: i > 4, value: i }) } as never)
          : ({ done: i > 4, value: i } as never),
    } as AsyncIterator<number>;
    expect(await drain(observeIterator(source, w.hooks))).toEqual([1, 2, 3, 4]);
    expect(w.ends).toEqual([[undefined, 'done']]);
  });

  it('leaving early ends the call once and closes the source', async () => {
    const w = watch();
    const source = numbers(10);
    const it = observeIterator(source, w.hooks);
    const got: number[] = [];
    for await (const v of { [Symbol.asyncIterator]: () => it }) {
      got.push(v);
      if (v === 2) break;
    }
    expect(got).toEqual([1, 2]);
    expect(w.ends).toEqual([[undefined, 'early']]);
    expect(await source.next()).toEqual({ done: true, value: undefined });
    await it.return!();
    expect(w.ends).toHaveLength(1);
  });
});
