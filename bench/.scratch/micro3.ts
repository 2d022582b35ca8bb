import { applyPatchImmutably } from '../../src/protocol/index.ts';
import { patchText, cpuDoc, topicName } from '../lib/shapes.ts';
const N = 400000;
const frames = Array.from({ length: N }, (_, n) => JSON.parse(patchText(topicName(0), n + 1)));
let doc: any = cpuDoc();
const t = process.hrtime.bigint();
for (let i = 0; i < N; i++) { const r = applyPatchImmutably(doc, frames[i].ops); if (r.ok) doc = r.doc; }
console.log((Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2), 'µs');
