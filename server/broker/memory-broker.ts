import type { Broker, ClientCounts, ExclusiveTask } from './broker.ts';

/**
 * The embedded default: one process, so topics are plain local documents (server/topic.ts),
 * nothing is shared and every exclusive task runs here.
 */
export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  readonly available = true;

  adopt(): void {}

  ready(): Promise<void> {
    return Promise.resolve();
  }

  onAvailability(): () => void {
    return () => undefined;
  }

  claimAction(): Promise<'claimed'> {
    return Promise.resolve('claimed');
  }

  settleAction(): void {}

  duringAction<T>(_action: unknown, run: () => T): T {
    return run();
  }

  exclusive(_name: string, start: () => () => void): ExclusiveTask {
    let stopTask: (() => void) | null = start();
    return {
      get running() {
        return stopTask !== null;
      },
      stop() {
        stopTask?.();
        stopTask = null;
      },
    };
  }

  #read: () => ClientCounts = () => ({ websocket: 0, polling: 0 });

  trackClients(read: () => ClientCounts): void {
    this.#read = read;
  }

  clusterClients(): ClientCounts {
    return this.#read();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
