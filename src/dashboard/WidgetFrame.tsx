import { Show, createUniqueId, type JSX } from 'solid-js';
import type { SubscriptionView } from '../client/index.ts';
import { LiveIndicator } from './LiveIndicator.tsx';
import { SlotTools } from './slot.tsx';

/** A widget's card: title, the live indicator of its subscription (if any), and its body. */
export function WidgetFrame(props: {
  /** The widget's config id; marks the card for tools and end-to-end tests (`[data-widget="cpu"]`). */
  widget: string;
  title: string;
  view?: Pick<SubscriptionView, 'status' | 'updatedAt' | 'staleSince' | 'error'>;
  children: JSX.Element;
}) {
  const headingId = createUniqueId();
  return (
    <section
      class="widget"
      classList={{ stale: props.view?.status === 'stale' }}
      data-widget={props.widget}
      aria-labelledby={headingId}
    >
      <header class="widget-header">
        <h2 id={headingId}>{props.title}</h2>
        <span class="widget-status">
          <Show when={props.view}>{(view) => <LiveIndicator view={view()} />}</Show>
          <SlotTools id={props.widget} />
        </span>
      </header>
      <div class="widget-body">{props.children}</div>
    </section>
  );
}
