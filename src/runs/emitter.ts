import type { Disposable, Event } from './model';

/** A minimal event emitter with vscode.EventEmitter's shape, usable without VS Code. */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        console.error('RL Studio: an event listener threw', err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
