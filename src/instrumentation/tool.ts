import { GEN_AI_OPERATION } from '../semconv.ts';
import { getTelemetry } from './default-telemetry.ts';
import type { GenAiTelemetry } from './telemetry.ts';

/**
 * Wraps a tool function so each invocation is an `execute_tool {name}` span and a
 * usage record with operation execute_tool: budgets on `tool_calls` count it, and the
 * time it takes shows in `duration_seconds` budgets.
 */
export function traceTool<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => R,
  telemetry?: GenAiTelemetry,
): (...args: A) => R {
  return function traced(this: unknown, ...args: A): R {
    const t = telemetry ?? getTelemetry();
    const call = t.start({
      provider: 'bursar',
      operation: GEN_AI_OPERATION.EXECUTE_TOOL,
      model: name,
      toolName: name,
      stream: false,
    });
    let out: R;
    try {
      out = fn.apply(this, args);
    } catch (error) {
      call.end(undefined, error);
      throw error;
    }
    if (out instanceof Promise) {
      return out.then(
        (v) => {
          call.end({});
          return v;
        },
        (error: unknown) => {
          call.end(undefined, error);
          throw error;
        },
      ) as R;
    }
    call.end({});
    return out;
  };
}
