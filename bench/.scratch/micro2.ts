import jsonpatch from 'fast-json-patch';
import { patchText, cpuDoc, topicName } from '../lib/shapes.ts';
const N = 200000;
const frames = Array.from({ length: N }, (_, n) => JSON.parse(patchText(topicName(0), n + 1)));
const time = (name: string, fn: (i: number) => unknown) => {
  for (let i = 0; i < 20000; i++) fn(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  console.log(name.padEnd(30), (Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2), 'µs');
};
for (const validate of [true, false]) {
  let doc: any = cpuDoc();
  time('apply validate=' + validate, (i) => { const root = { ...doc, samples: doc.samples.slice() }; for (const op of frames[i].ops) jsonpatch.applyOperation(root, op, validate, true); doc = root; });
}
let doc: any = cpuDoc();
time('manual', (i) => { const root = { ...doc, samples: doc.samples.slice() }; root.samples.push(frames[i].ops[0].value); root.samples.splice(0, 1); doc = root; });
time('weakset', () => { const w = new WeakSet(); w.add(doc); return w.has(doc); });
time('JSON.parse', (i) => JSON.parse(patchText(topicName(0), i + 1)));
