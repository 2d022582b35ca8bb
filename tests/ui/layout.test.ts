import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DASHBOARD_CONFIG, widgetId } from '../../src/protocol/index.ts';
import { LAYOUT_STORAGE_KEY, createLayout, isWide } from '../../src/dashboard/layout.ts';

const ids = (layout: ReturnType<typeof createLayout>) => layout.config().widgets.map(widgetId);

describe('layout', () => {
  beforeEach(() => localStorage.clear());

  it("starts from the server's config, and keeps a move and a width change across pages", () => {
    const layout = createLayout(DEFAULT_DASHBOARD_CONFIG);
    expect(ids(layout)).toEqual(DEFAULT_DASHBOARD_CONFIG.widgets.map(widgetId));
    expect(layout.moveTo('load', 0)).toBe(true);
    layout.toggleWide('cpu');
    const again = createLayout(DEFAULT_DASHBOARD_CONFIG);
    expect(ids(again).slice(0, 3)).toEqual(['load', 'cpu', 'memory']);
    expect(isWide(again.config().widgets[1]!)).toBe(false);
    expect(again.moveTo('load', 99)).toBe(false);
    again.reset();
    expect(localStorage.getItem(LAYOUT_STORAGE_KEY)).toBeNull();
    expect(ids(again)[0]).toBe('cpu');
  });

  it('exports a config that imports to the same layout in a fresh browser', () => {
    const layout = createLayout(DEFAULT_DASHBOARD_CONFIG);
    layout.moveTo('alerts', 1);
    layout.toggleWide('load');
    const file = layout.exportText();
    localStorage.clear();
    const fresh = createLayout(DEFAULT_DASHBOARD_CONFIG);
    expect(fresh.importText(file)).toEqual({ ok: true });
    expect(fresh.config()).toEqual(layout.config());
  });

  it('refuses a malformed or invalid file with the reason and changes nothing', () => {
    const layout = createLayout(DEFAULT_DASHBOARD_CONFIG);
    layout.moveTo('clients', 0);
    const before = layout.config();
    const notJson = layout.importText('{ "widgets": [');
    expect(notJson).toMatchObject({ ok: false, message: expect.stringMatching(/^Not JSON/) });
    const invalid = layout.importText(JSON.stringify({ widgets: [{ view: 'pie' }] }));
    expect(invalid).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Not a dashboard config: .*view/),
    });
    expect(layout.config()).toBe(before);
    expect(ids(createLayout(DEFAULT_DASHBOARD_CONFIG))[0]).toBe('clients');
  });
});
