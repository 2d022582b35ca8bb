import type { TetherClient } from '../../client/index.ts';
import { WidgetFrame } from '../WidgetFrame.tsx';
import type { Thresholds } from '../optimistic.ts';
import { useOutbox } from '../use-outbox.ts';
import { useTopic } from '../use-topic.ts';
import { THRESHOLDS_TOPIC, ThresholdForm } from './ThresholdForm.tsx';

/** The writable alerts.thresholds topic, edited through the client's outbox. */
export function ThresholdControl(props: { client: Pick<TetherClient, 'subscribe' | 'actor' | 'send'> }) {
  const topic = useTopic<Thresholds>(props.client, THRESHOLDS_TOPIC);
  const outbox = useOutbox(props.client);
  return (
    <WidgetFrame widget="thresholds" title="Alert thresholds" view={topic.view()}>
      <ThresholdForm server={topic.data()} outbox={outbox()} send={(t, payload) => props.client.send(t, payload)} />
    </WidgetFrame>
  );
}
