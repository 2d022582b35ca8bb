// Feeds the `orders.perMinute` topic of a Tether server over HTTP, once a second, keeping the
// last 60 samples. Plain Node (18+), no dependencies:
//
//   TETHER_PUBLISH_KEY=… TETHER_TOPICS=docs/examples/topics.json npm start     # the server
//   TETHER_PUBLISH_KEY=… node docs/examples/publish-orders.mjs                 # this feeder
//
// Environment: TETHER_URL (default http://127.0.0.1:8080), TETHER_PUBLISH_KEY (required),
// ORDERS_INTERVAL_MS (default 1000), ORDERS_COUNT (stop after this many publishes; default never).

const url = process.env.TETHER_URL ?? 'http://127.0.0.1:8080';
const key = process.env.TETHER_PUBLISH_KEY;
const intervalMs = Number(process.env.ORDERS_INTERVAL_MS ?? 1000);
const limit = Number(process.env.ORDERS_COUNT ?? Infinity);
const TOPIC = 'orders.perMinute';
const WINDOW = 60;

if (!key) {
  console.error('set TETHER_PUBLISH_KEY to the key the server was started with');
  process.exit(2);
}

async function publish(body) {
  const response = await fetch(`${url}/api/publish`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ topic: TOPIC, ...body }),
  });
  const answer = await response.json();
  // Errors are frames too: { type: 'error', code: 'bad_patch' | 'unknown_topic' | …, message }.
  if (!response.ok) throw new Error(`${response.status} ${answer.code}: ${answer.message}`);
  return answer;
}

/** How many samples the topic holds now (a poll without `since` answers with a snapshot). */
async function heldSamples() {
  // The publish key also lets a publisher read (GET /api/poll), so it can pick up where it left off.
  const response = await fetch(`${url}/api/poll?topic=${encodeURIComponent(TOPIC)}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  const { frames } = await response.json();
  const snapshot = frames.find((frame) => frame.type === 'snapshot');
  if (!snapshot) throw new Error(frames[0]?.message ?? `no snapshot of ${TOPIC}`);
  return snapshot.data.samples.length;
}

let held = await heldSamples();
let count = 20;
for (let sent = 0; sent < limit; sent++) {
  count = Math.max(0, Math.round(count + (Math.random() - 0.5) * 6));
  const sample = { t: Date.now(), count, revenue: Math.round(count * 23.5 * 100) / 100 };
  // Append the new sample and, once the window is full, drop the oldest, in one patch: clients
  // receive exactly these two operations, not the whole series.
  const ops = [{ op: 'add', path: '/samples/-', value: sample }];
  if (held >= WINDOW) ops.push({ op: 'remove', path: '/samples/0' });
  try {
    const answer = await publish({ ops });
    held = Math.min(held + 1, WINDOW);
    console.log(`seq ${answer.seq}: ${count} orders/min`);
  } catch (error) {
    // E.g. the server restarted with an empty topic: look again, then carry on.
    console.error(`publish failed: ${error.message}`);
    held = await heldSamples().catch(() => held);
  }
  if (sent + 1 < limit) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}
