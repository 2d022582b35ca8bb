import type { PatchDrafts } from '../../machines/wire.ts';
import { applyToDraft, createPatchDraft } from '../protocol/index.ts';
import type { PatchOperation } from '../protocol/index.ts';

/**
 * The applier's drafts for frames the client received: each was decoded from JSON text (so no
 * value holds `undefined`), and its operations passed the protocol's validation.
 */
export const decodedFrameDrafts: PatchDrafts = {
  create: (doc) => createPatchDraft(doc, { fromJson: true }),
  apply: (draft, ops) => applyToDraft(draft, ops as readonly PatchOperation[]),
};
