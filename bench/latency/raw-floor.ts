/**
 * The floor of the latency bench (`?mode=raw`): the same 20 widgets fed by a plain WebSocket
 * speaking the wire protocol (docs/protocol.md) with no client library and no framework. Each
 * frame is parsed, its values taken from the patch and written straight into the DOM in the
 * message task. Whatever Tether adds to publish → paint is measured against this.
 */
/** What each `lat.N` topic holds: the publish time and a counter. */
export interface Value {
  t: number;
  v: number;
}
/** The server frames this page reads (others, e.g. `welcome`, have no topic and are skipped). */
interface Frame {
  type: string;
  topic?: string;
  data?: Value;
  ops?: Array<{ path: string; value: number }>;
}

export function startRawFloor(
  root: HTMLElement,
  widgets: number,
  onWritten: (widget: number, t: number, v: number) => void,
  onReady: () => void,
): void {
  const cells = Array.from({ length: widgets }, (_, i) => {
    const card = document.createElement('div');
    card.className = 'w';
    const label = document.createElement('span');
    label.textContent = `lat.${i}`;
    const value = document.createElement('b');
    value.textContent = '–';
    const bar = document.createElement('div');
    bar.className = 'bar';
    card.append(label, value, bar);
    root.append(card);
    return { value, bar, held: { t: 0, v: 0 }, seen: false };
  });
  const show = (index: number) => {
    const cell = cells[index]!;
    cell.value.textContent = String(cell.held.v);
    cell.bar.style.width = `${cell.held.v % 100}%`;
    if (!cell.seen) {
      cell.seen = true;
      onReady();
    }
    if (cell.held.t) onWritten(index, cell.held.t, cell.held.v); // t = 0: the initial snapshot
  };
  const socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws`);
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: 'hello' }));
    for (let i = 0; i < widgets; i++)
      socket.send(JSON.stringify({ type: 'subscribe', topic: `lat.${i}` }));
  };
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data as string) as Frame;
    if (frame.topic === undefined || !frame.topic.startsWith('lat.')) return;
    const index = Number(frame.topic.slice(4));
    const cell = cells[index]!;
    if (frame.type === 'snapshot' && frame.data) cell.held = { ...frame.data };
    else if (frame.type === 'patch' && frame.ops)
      for (const op of frame.ops) cell.held[op.path.slice(1) as keyof Value] = op.value;
    else return;
    show(index);
  };
}
