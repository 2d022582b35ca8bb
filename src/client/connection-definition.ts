import { createConnectionMachine } from '../../machines/connection.ts';
import { isTerminalClose } from '../protocol/index.ts';

/**
 * The connection statechart's definition, for tools that draw it (the dashboard's State panel).
 * Nothing runs it, so its environment is inert.
 */
export function connectionDefinition() {
  return createConnectionMachine({
    now: () => 0,
    random: () => 0,
    isTerminalClose,
  });
}
