import { createTetherHooks } from '../solid/index.ts';
import type { DashboardTopics } from './topics.ts';

/**
 * The dashboard's hooks: tether-live/solid's, typed with the default topics. Topics named only in the
 * dashboard config are not known at build time; their widgets use the untyped `useTopic`.
 */
export const { useTopic, useSend, useConnection, useOutbox, useTetherClient } =
  createTetherHooks<DashboardTopics>();
