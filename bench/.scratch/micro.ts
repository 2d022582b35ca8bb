import { decodeServerFrame, applyPatchImmutably } from '../../src/protocol/index.ts';
import { patchText, cpuDoc, topicName } from '../lib/shapes.ts';
const N = 200000;
const texts = Array.from({ length: N }, (_, n) => patchText(topicName(0), n + 1));
const time = (name: string, fn: (i: number) => unknown) => {
  for (let i = 0; i < 20000; i++) fn(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  console.log(name.padEnd(30), (Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2), 'µs');
};
time('JSON.parse', (i) => JSON.parse(texts[i]!));
time('decodeServerFrame', (i) => decodeServerFrame(texts[i]!));
const frames = texts.map((t) => JSON.parse(t));
let doc: any = cpuDoc();
time('applyPatchImmutably', (i) => { const r = applyPatchImmutably(doc, frames[i].ops); if (r.ok) doc = r.doc; });
