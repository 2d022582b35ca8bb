import { createComponent, createContext, useContext, type JSX } from 'solid-js';
import type { TetherClient } from '../client/index.ts';

const TetherContext = createContext<TetherClient>();

export interface TetherProviderProps {
  /** A client from `createTetherClient`; the app creates it (and stops it) itself. */
  client: TetherClient;
  children?: JSX.Element;
}

/** Makes `client` the one the hooks below it use. Written without JSX so the package needs no JSX build step. */
export function TetherProvider(props: TetherProviderProps): JSX.Element {
  return createComponent(TetherContext.Provider, {
    get value() {
      return props.client;
    },
    get children() {
      return props.children;
    },
  });
}

/** The client of the nearest <TetherProvider>; throws when there is none. */
export function useTetherClient(): TetherClient {
  const client = useContext(TetherContext);
  if (!client) throw new Error('Tether hooks need a <TetherProvider client={…}> above them');
  return client;
}
