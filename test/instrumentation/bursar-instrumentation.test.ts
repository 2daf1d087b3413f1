import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { BursarInstrumentation } from '../../src/instrumentation/bursar-instrumentation.ts';
import { otelHarness } from '../helpers/otel.ts';

describe('BursarInstrumentation', () => {
  it('defines the three SDK modules', () => {
    const inst = new BursarInstrumentation({ enabled: false });
    expect(
      inst
        .getModuleDefinitions()
        .map((d) => d.name)
        .sort(),
    ).toEqual(['@anthropic-ai/sdk', '@google/genai', 'openai']);
  });

  it('patching never throws: an unsupported version or an unknown shape is logged once and skipped', () => {
    const h = otelHarness();
    const inst = new BursarInstrumentation({ enabled: false, telemetry: h.telemetry });
    const def = inst.getModuleDefinitions().find((d) => d.name === 'openai')!;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const old = { OpenAI: class {} };
      expect(def.patch!(old, '6.2.0')).toBe(old);
      expect(def.patch!(old, '6.3.0')).toBe(old);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toContain('not instrumenting openai: version 6.2.0 is not 7.x');
      const odd = {};
      expect(() => def.patch!(odd, '7.1.0')).not.toThrow();
    } finally {
      warn.mockRestore();
    }
  });

  it('patches and unpatches the real openai module', () => {
    const h = otelHarness();
    const inst = new BursarInstrumentation({ enabled: false, telemetry: h.telemetry });
    const def = inst.getModuleDefinitions().find((d) => d.name === 'openai')!;
    const before = OpenAI.Chat.Completions.prototype.create;
    def.patch!(OpenAI, '7.57.0');
    expect(OpenAI.Chat.Completions.prototype.create).not.toBe(before);
    def.unpatch!(OpenAI, '7.57.0');
    expect(OpenAI.Chat.Completions.prototype.create).toBe(before);
  });
});
