/**
 * The latency bench page: 20 widgets, each on its own topic, through the real client and the
 * real Solid hooks. `?mode=coalesced` renders with useTopic (data coalesced per animation frame)
 * on a default client (frames handed over once per frame); `?mode=task` is the same on a client
 * handing frames over in the task after each message (the default before); `?mode=every` renders
 * every patch as it arrives (the baseline without coalescing, handover per task);
 * `?mode=batched` is useTopic on a client with `batchWindowMs: 4`; `?mode=shared` is useTopic on the
 * dashboard's default client, in a SharedWorker (the tab folds the frames it forwards); `?mode=raw` is the floor, a plain
 * WebSocket writing each value straight into the DOM (raw-floor.ts).
 * A value counts as painted when a task queued after the frame that drew it runs (the rAF +
 * postMessage idiom); latency = that time − the publish time carried in the data (both clocks
 * are performance.timeOrigin + performance.now() on this machine).
 */
import { For, createSignal, onCleanup } from 'solid-js';
import { render } from 'solid-js/web';
import { createSharedTetherClient, createTetherClient } from '../../src/client/index.ts';
import { TetherProvider, useTetherClient, useTopic } from '../../src/solid/index.ts';
import { startRawFloor } from './raw-floor.ts';
import type { Value } from './raw-floor.ts';

const now = () => performance.timeOrigin + performance.now();
const mode = new URLSearchParams(location.search).get('mode') ?? 'coalesced';
const WIDGETS = 20;

// Knowing whether we run inside a rAF callback tells when the DOM write will be painted: inside
// one, in this frame; anywhere else, in the next.
let inFrame = false;
const raf = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (callback) =>
  raf((time) => {
    inFrame = true;
    try {
      callback(time);
    } finally {
      inFrame = false;
    }
  });

const latencies: number[] = [];
const pending = new Map<number, number>(); // widget → publish time of the value written last
let superseded = 0;
let measuring = false;
let scheduled = false;
const channel = new MessageChannel();
channel.port1.onmessage = () => {
  scheduled = false;
  const painted = now();
  if (measuring) for (const t of pending.values()) latencies.push(painted - t);
  pending.clear();
};
// The last value written per widget: a value coalesced away before it reached the DOM (two in
// one frame) shows as a jump of more than WIDGETS in `v` (values go round-robin).
const lastWritten = new Map<number, number>();
function written(widget: number, t: number, v: number) {
  if (pending.has(widget)) superseded++;
  const previous = lastWritten.get(widget);
  if (measuring && previous !== undefined && v - previous > WIDGETS)
    superseded += (v - previous) / WIDGETS - 1;
  lastWritten.set(widget, v);
  pending.set(widget, t);
  if (scheduled) return;
  scheduled = true;
  if (inFrame) channel.port2.postMessage(null);
  else raf(() => channel.port2.postMessage(null));
}

// Frame intervals, for dropped frames.
const frames: number[] = [];
let last = 0;
const tick = (time: number) => {
  if (measuring && last) frames.push(time - last);
  last = time;
  raf(tick);
};
raf(tick);

let ready = 0;
function Widget(props: { index: number }) {
  const topic = `lat.${props.index}`;
  let seen = false;
  const got = () => {
    if (seen) return;
    seen = true;
    ready++;
  };
  if (mode === 'every') {
    // The baseline: every change of the subscription's view is rendered at once.
    const { view, release } = useTetherClient().subscribe(topic);
    onCleanup(release);
    const [value, setValue] = createSignal<Value | undefined>(view.get().data as Value | undefined);
    onCleanup(view.subscribe(() => setValue(() => view.get().data as Value | undefined)));
    return <Card index={props.index} value={value()} onWritten={got} />;
  }
  const { data } = useTopic<Value>(topic);
  return <Card index={props.index} value={data()} onWritten={got} />;
}

function Card(props: { index: number; value: Value | undefined; onWritten: () => void }) {
  return (
    <div class="w">
      <span>lat.{props.index}</span>
      <b>
        {/* Solid runs this in a render effect whenever the value changes: that is the DOM write. */}
        {(() => {
          const value = props.value;
          if (value) props.onWritten();
          if (value && value.t) written(props.index, value.t, value.v); // t = 0: the initial snapshot
          return value ? value.v : '–';
        })()}
      </b>
      <div class="bar" style={{ width: `${props.value ? props.value.v % 100 : 0}%` }} />
    </div>
  );
}

const root = document.getElementById('root')!;
if (mode === 'raw') {
  startRawFloor(root, WIDGETS, written, () => ready++);
} else {
  // `shared` is the dashboard's default: the client in a SharedWorker, this tab folding the
  // frames it forwards. Of the others, every mode but `coalesced` hands frames over per task;
  // `batched` adds a 4 ms batch window.
  const handover = mode === 'coalesced' ? 'frame' : 'task';
  const client =
    mode === 'shared'
      ? createSharedTetherClient({ url: location.origin, polling: false })
      : createTetherClient({
          url: location.origin,
          polling: false,
          handover,
          ...(mode === 'batched' ? { batchWindowMs: 4 } : {}),
        });
  render(
    () => (
      <TetherProvider client={client}>
        <For each={Array.from({ length: WIDGETS }, (_, i) => i)}>{(i) => <Widget index={i} />}</For>
      </TetherProvider>
    ),
    root,
  );
}

Object.assign(window, {
  bench: {
    mode,
    ready: () => ready,
    start() {
      latencies.length = 0;
      frames.length = 0;
      superseded = 0;
      last = 0;
      measuring = true;
    },
    stop() {
      measuring = false;
      return { latencies: [...latencies], frames: [...frames], superseded };
    },
  },
});
