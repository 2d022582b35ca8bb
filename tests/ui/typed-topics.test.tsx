import { cleanup, render } from '@solidjs/testing-library';
import type { Accessor } from 'solid-js';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createTetherClient, type SubscriptionStatus } from '../../src/client/index.ts';
import {
  createTetherHooks,
  useTopic as useUntypedTopic,
  type TopicState,
} from '../../src/solid/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { manualFrames } from './frames.ts';

// Type-level checks: `expectTypeOf` and `@ts-expect-error` are verified by `tsc --noEmit`
// (the first step of `npm test`); at run time they are no-ops, and the test also renders.

interface OrdersPerMinute {
  samples: { t: number; count: number }[];
}
interface AppTopics {
  'orders.perMinute': OrdersPerMinute;
  'flags.checkout': { enabled: boolean };
}

const { useTopic, useSend, TetherProvider } = createTetherHooks<AppTopics>();

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('typed topics', () => {
  it('types useTopic by the topic map: data per topic, unknown names refused', () => {
    expectTypeOf(useTopic<'orders.perMinute'>).returns.toEqualTypeOf<TopicState<OrdersPerMinute>>();
    expectTypeOf<TopicState<OrdersPerMinute>['data']>().toEqualTypeOf<
      Accessor<OrdersPerMinute | undefined>
    >();
    expectTypeOf<TopicState<OrdersPerMinute>['status']>().toEqualTypeOf<
      Accessor<SubscriptionStatus>
    >();
    expectTypeOf<TopicState<OrdersPerMinute>['seq']>().toEqualTypeOf<Accessor<number | null>>();
    expectTypeOf(useTopic).parameter(0).toEqualTypeOf<'orders.perMinute' | 'flags.checkout'>();

    // Never called: these lines exist for the type checker.
    const checks = () => {
      const orders = useTopic('orders.perMinute');
      expectTypeOf(orders.data).toEqualTypeOf<Accessor<OrdersPerMinute | undefined>>();
      expectTypeOf(orders.data()?.samples[0]?.count).toEqualTypeOf<number | undefined>();
      expectTypeOf(useTopic('flags.checkout').data()).toEqualTypeOf<
        { enabled: boolean } | undefined
      >();
      // @ts-expect-error an unknown topic is a type error
      useTopic('orders');
      // @ts-expect-error so is a field the topic does not have
      const _total = orders.data()?.total;
      const send = useSend();
      send('flags.checkout', { enabled: false });
      // @ts-expect-error actions go to known topics only
      send('flags.checkot', {});
      // The untyped hook takes any name; its data is unknown unless the caller says otherwise.
      expectTypeOf(useUntypedTopic('anything').data).toEqualTypeOf<Accessor<unknown>>();
    };
    expect(typeof checks).toBe('function');
  });

  it('delivers the typed data at run time', async () => {
    vi.useFakeTimers();
    const frames = manualFrames();
    const server = new ScriptedServer();
    server.topic('orders.perMinute', { samples: [{ t: 1, count: 3 }] });
    const client = createTetherClient({
      url: server.httpUrl,
      WebSocket: server.WebSocket,
      fetch: null,
      network: false,
      random: () => 0.5,
      handover: 'task',
    });
    function Count() {
      const orders = useTopic('orders.perMinute');
      return <output>{orders.data()?.samples.at(-1)?.count ?? '…'}</output>;
    }
    const { container } = render(() => (
      <TetherProvider client={client}>
        <Count />
      </TetherProvider>
    ));
    await vi.advanceTimersByTimeAsync(20);
    frames.flushFrame();
    expect(container.textContent).toBe('3');
    cleanup(); // unmount (releasing the topic) before the client stops
    client.stop();
    server.stop();
  });
});
