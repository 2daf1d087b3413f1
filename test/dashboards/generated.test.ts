import { describe, expect, it } from 'vitest';
import { renderDashboards } from '../../dashboards/builders/index.ts';
import { committedText } from './committed.ts';

describe('committed dashboards', () => {
  it('are exactly what the builders produce (run `npm run dashboards` after changing them)', () => {
    const rendered = renderDashboards();
    expect(rendered.size).toBe(4);
    for (const [file, json] of rendered) expect(committedText(file), file).toBe(json);
  });
});
