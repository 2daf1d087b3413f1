import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_BURSAR_SCOPE_PREFIX,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '../semconv.ts';
import type { Scope } from '../usage/scope.ts';
import type { GenAiRequest } from './call.ts';

const PARAMS: [keyof NonNullable<GenAiRequest['params']>, string][] = [
  ['maxTokens', ATTR_GEN_AI_REQUEST_MAX_TOKENS],
  ['temperature', ATTR_GEN_AI_REQUEST_TEMPERATURE],
  ['topP', ATTR_GEN_AI_REQUEST_TOP_P],
  ['topK', ATTR_GEN_AI_REQUEST_TOP_K],
  ['frequencyPenalty', ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY],
  ['presencePenalty', ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY],
  ['stopSequences', ATTR_GEN_AI_REQUEST_STOP_SEQUENCES],
  ['seed', ATTR_GEN_AI_REQUEST_SEED],
  ['choiceCount', ATTR_GEN_AI_REQUEST_CHOICE_COUNT],
];

/** Span attributes known when the call starts: operation, provider, model, parameters, scope. */
export function requestAttributes(req: GenAiRequest, scope: Scope, captureContent: boolean): Attributes {
  const a: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: req.operation,
    [ATTR_GEN_AI_PROVIDER_NAME]: req.provider,
  };
  if (req.toolName !== undefined) a[ATTR_GEN_AI_TOOL_NAME] = req.toolName;
  else a[ATTR_GEN_AI_REQUEST_MODEL] = req.model;
  if (req.stream) a[ATTR_GEN_AI_REQUEST_STREAM] = true;
  if (req.serverAddress !== undefined) a[ATTR_SERVER_ADDRESS] = req.serverAddress;
  if (req.serverPort !== undefined) a[ATTR_SERVER_PORT] = req.serverPort;
  const params = req.params;
  if (params) {
    // An indexed loop: no iterator and no destructured pair per parameter, per call.
    for (let i = 0; i < PARAMS.length; i++) {
      const v = params[PARAMS[i]![0]];
      if (v !== undefined) a[PARAMS[i]![1]] = v;
    }
  }
  if (scope.agent !== undefined) a[ATTR_GEN_AI_AGENT_NAME] = scope.agent;
  if (scope.session !== undefined) a[ATTR_GEN_AI_CONVERSATION_ID] = scope.session;
  for (const k in scope) a[`${ATTR_BURSAR_SCOPE_PREFIX}${k}`] = scope[k];
  if (captureContent && req.input !== undefined) {
    try {
      a[ATTR_GEN_AI_INPUT_MESSAGES] = JSON.stringify(req.input);
    } catch {
      // Unserializable input is left out rather than failing the call.
    }
  }
  return a;
}
