/**
 * One provider call described by two instrumentations in one process is counted once.
 *
 * The case that exists today: bursar's instrumentation wraps `messages.create` of
 * @anthropic-ai/sdk 1.12 and makes its own span (scope `bursar`, `chat <model>`, carrying
 * bursar.usage.source and the bursar.scope.* labels) the active span while it calls the SDK;
 * the SDK then starts its own call span (scope `com.anthropic.sdk.typescript`, named
 * `anthropic.messages.create`, kind CLIENT, gen_ai.operation.name `chat` and the same token
 * counts) as a CHILD of bursar's span. Both are GenAI inference spans of the same call.
 * The same shape appears whenever a framework's span wraps a provider instrumentation's span
 * (and for execute_tool: the SDK's tool-runner span around a tool bursar also wraps).
 *
 * Rule: a countable span (inference, or execute_tool) whose PARENT is a countable span of the
 * same kind is a nested description of the parent's call and is not counted; the outermost
 * span of such a chain is. A real second call is never a direct child of an inference span
 * of the same kind — calls made by a tool or an agent step hang under execute_tool or
 * invoke_agent spans, which are of another kind.
 *
 * Parent and child normally arrive in one export batch (the SDK's span ends first, bursar's
 * right after). When a batch boundary splits them, the receiver remembers recent spans: a
 * child arriving after its parent is skipped; a child that arrived first is counted and its
 * parent, arriving later, is skipped instead (the record then lacks bursar's scope labels).
 * That memory holds the last CAPACITY spans of each kind (as 96-bit fingerprints in fixed
 * memory: recent-ids.ts; ~4 MB each) and is lost on restart: a pair split across a batch
 * boundary AND a restart (or more than that many spans apart) is counted twice.
 */

import { RecentIds } from '../../store/recent-ids.ts';
import { FilteredIds } from './recent-filter.ts';

const CAPACITY = 200_000;

export interface CountableSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** `${traceId}:${spanId}` when the caller has it already (the record id). */
  key?: string;
  /** Inference and execute_tool spans nest only within their own kind. */
  tool: boolean;
}

export interface NestingVerdict {
  /** Per span, in order: true when it is a nested description of a call counted otherwise. */
  nested: boolean[];
  /** Remembers this request's spans; call once they are committed. */
  remember(): void;
}

export class NestedCalls {
  /** Per kind (inference, tool): spans counted recently, by `${traceId}:${spanId}`. */
  readonly #counted = [new FilteredIds(new RecentIds(CAPACITY)), new FilteredIds(new RecentIds(CAPACITY))];
  /** Per kind: parents of counted spans whose parent had not been seen. */
  readonly #childCounted = [
    new FilteredIds(new RecentIds(CAPACITY)),
    new FilteredIds(new RecentIds(CAPACITY)),
  ];

  classify(spans: readonly CountableSpan[]): NestingVerdict {
    const nested: boolean[] = new Array(spans.length);
    // Spans of this request by span id: a parent here is found without making its key.
    const here = new Map<string, number>();
    for (let i = 0; i < spans.length; i++) {
      const before = here.size;
      here.set(spans[i]!.spanId, i);
      // One span id twice (in two traces, or twice in one): keyed by the whole id instead.
      if (here.size === before) return this.#classifyByKey(spans, nested);
    }
    const counted: number[] = [];
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      const kind = s.tool ? 1 : 0;
      let isNested = false;
      if (s.parentSpanId !== '') {
        const j = here.get(s.parentSpanId);
        isNested =
          (j !== undefined && spans[j]!.traceId === s.traceId && spans[j]!.tool === s.tool) ||
          this.#counted[kind]!.has(s.traceId, s.parentSpanId);
      }
      if (!isNested) isNested = this.#childCounted[kind]!.has(s.traceId, s.spanId);
      nested[i] = isNested;
      if (!isNested) counted.push(i);
    }
    return { nested, remember: () => this.#remember(spans, counted) };
  }

  /** classify() for a request in which a span id repeats. */
  #classifyByKey(spans: readonly CountableSpan[], nested: boolean[]): NestingVerdict {
    const here = [new Set<string>(), new Set<string>()];
    for (const s of spans) here[s.tool ? 1 : 0]!.add(s.key ?? `${s.traceId}:${s.spanId}`);
    const counted: number[] = [];
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      const kind = s.tool ? 1 : 0;
      const parent = s.parentSpanId === '' ? undefined : `${s.traceId}:${s.parentSpanId}`;
      if (
        parent !== undefined &&
        (here[kind]!.has(parent) || this.#counted[kind]!.has(s.traceId, s.parentSpanId))
      )
        nested[i] = true;
      else if (this.#childCounted[kind]!.has(s.traceId, s.spanId)) nested[i] = true;
      else {
        nested[i] = false;
        counted.push(i);
      }
    }
    return { nested, remember: () => this.#remember(spans, counted) };
  }

  /** Counted spans, and the parents they had that were not seen, into the memory. */
  #remember(spans: readonly CountableSpan[], counted: readonly number[]): void {
    for (const i of counted) {
      const s = spans[i]!;
      this.#counted[s.tool ? 1 : 0]!.claim(s.traceId, s.spanId);
    }
    for (const i of counted) {
      const s = spans[i]!;
      if (s.parentSpanId !== '') this.#childCounted[s.tool ? 1 : 0]!.claim(s.traceId, s.parentSpanId);
    }
  }
}
