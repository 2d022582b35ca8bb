import { createSignal, type Accessor } from 'solid-js';
import type { SubscriptionView, TetherClient, ViewSource } from '../client/index.ts';

export interface HeldTopic {
  topic: string;
  view: ViewSource<SubscriptionView>;
}

/**
 * The client as the widgets use it, plus the topics this tab holds through it. The State panel
 * lists them from their views, which every client has, so it works when the statecharts run in
 * another tab (shared mode) as well as here.
 */
export function trackHeldTopics(client: TetherClient): {
  client: TetherClient;
  held: Accessor<HeldTopic[]>;
} {
  const counts = new Map<string, { view: ViewSource<SubscriptionView>; holders: number }>();
  const [held, setHeld] = createSignal<HeldTopic[]>([]);
  const publish = () =>
    setHeld(
      [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([topic, { view }]) => ({ topic, view })),
    );
  const subscribe: TetherClient['subscribe'] = (topic) => {
    const hold = client.subscribe(topic);
    const entry = counts.get(topic) ?? { view: hold.view, holders: 0 };
    entry.holders++;
    counts.set(topic, entry);
    publish();
    let released = false;
    return {
      ...hold,
      release() {
        hold.release();
        if (released) return;
        released = true;
        if (--entry.holders === 0) counts.delete(topic);
        publish();
      },
    };
  };
  // The client's other members are used as they are; `subscribe` is the one wrapped.
  return { client: Object.assign(Object.create(client) as TetherClient, { subscribe }), held };
}
