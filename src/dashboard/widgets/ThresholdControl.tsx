import { WidgetFrame } from '../WidgetFrame.tsx';
import { useOutbox, useSend, useTopic } from '../hooks.ts';
import { THRESHOLDS_TOPIC, ThresholdForm } from './ThresholdForm.tsx';

const positionOf = ({ epoch, seq }: { epoch: string | null; seq: number | null }) =>
  epoch !== null && seq !== null ? { epoch, seq } : null;

/** The writable alerts.thresholds topic, edited through the client's outbox. */
export function ThresholdControl() {
  const topic = useTopic(THRESHOLDS_TOPIC);
  const outbox = useOutbox();
  const send = useSend();
  return (
    <WidgetFrame widget="thresholds" title="Alert thresholds" view={topic.view()}>
      <ThresholdForm
        server={topic.data()}
        base={positionOf(topic.view())}
        outbox={outbox()}
        send={send}
      />
    </WidgetFrame>
  );
}
