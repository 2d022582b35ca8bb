import { render } from '@solidjs/testing-library';
import { describe, expect, it } from 'vitest';
import { StatTile } from '../../src/dashboard/StatTile.tsx';

describe('StatTile', () => {
  it('sets a unit after the figure apart (smaller), and reads as one value', () => {
    const { container } = render(() => (
      <dl>
        <StatTile label="p50" value="0.23 ms" />
      </dl>
    ));
    const value = container.querySelector('dd')!;
    expect(value.textContent).toBe('0.23 ms');
    expect(value.querySelector('.unit')?.textContent).toBe('ms');
  });

  it('leaves a figure without a separate unit whole', () => {
    for (const figure of ['12%', '0.96', '—', 'n/a']) {
      const { container, unmount } = render(() => (
        <dl>
          <StatTile label="x" value={figure} />
        </dl>
      ));
      expect(container.querySelector('dd')!.textContent).toBe(figure);
      expect(container.querySelector('.unit')).toBeNull();
      unmount();
    }
  });
});
