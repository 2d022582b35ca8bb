import * as v from 'valibot';
import { decodeServerFrame, ServerFrame, applyPatchImmutably } from '../../src/protocol/index.ts';
import { patchText, topicName, cpuDoc } from '../lib/shapes.ts';
const N = 100000;
const texts = Array.from({ length: N }, (_, n) => patchText(topicName(0), n + 1));
const values = texts.map((t) => JSON.parse(t));
const best = (name: string, fn: (i: number) => unknown) => {
  let min = Infinity;
  for (let r = 0; r < 7; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    min = Math.min(min, Number(process.hrtime.bigint() - t) / N / 1000);
  }
  console.log(name.padEnd(34), min.toFixed(2), 'µs');
};
best('JSON.parse', (i) => JSON.parse(texts[i]!));
best('valibot variant (old path)', (i) => v.safeParse(ServerFrame, values[i], { abortPipeEarly: true }));
best('decodeServerFrame (parse+validate)', (i) => decodeServerFrame(texts[i]!));
let doc: any = cpuDoc();
best('applyPatchImmutably', (i) => { const r = applyPatchImmutably(doc, values[i].ops); if (r.ok) doc = r.doc; });
