import type { PatchDrafts } from '../../machines/wire.ts';
import { applyToDraft, createPatchDraft } from '../protocol/index.ts';

/**
 * The applier's drafts for frames the client received: each was decoded from JSON text (so no
 * value holds `undefined`), and its operations passed the protocol's validation.
 */
export const decodedFrameDrafts: PatchDrafts = {
  create: (doc) => createPatchDraft(doc, true),
  apply: applyToDraft,
};
