// A Rust panic in the plugin traps (WebAssembly.RuntimeError). Inside an async task it is thrown
// from a microtask, so it surfaces as an uncaught exception or unhandled rejection, not through the
// call's promise (which then never settles). One process-wide listener hands such traps to the
// plugin managers; anything else keeps Node's default behaviour.
/** Returns true when it took the trap as its own; `force` asks it to take it regardless. */
export type TrapHandler = (err: WebAssembly.RuntimeError, force: boolean) => boolean;

const handlers = new Set<TrapHandler>();
let installed = false;

function dispatch(err: WebAssembly.RuntimeError): void {
  let claimed = false;
  for (const handler of handlers) claimed = handler(err, false) || claimed;
  // Nobody had a call in flight: tell every manager, as the trap must belong to one of them.
  if (!claimed) for (const handler of handlers) handler(err, true);
}

function onUncaught(err: unknown): void {
  if (err instanceof WebAssembly.RuntimeError) return dispatch(err);
  // Another listener (e.g. the test runner) takes over; otherwise crash, as Node would.
  if (process.listenerCount('uncaughtException') > 1) return;
  console.error(err);
  process.exit(1);
}

function onUnhandledRejection(reason: unknown): void {
  if (reason instanceof WebAssembly.RuntimeError) return dispatch(reason);
  if (process.listenerCount('unhandledRejection') > 1) return;
  throw reason;
}

export function onTrap(handler: TrapHandler): () => void {
  if (!installed) {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandledRejection);
    installed = true;
  }
  handlers.add(handler);
  return () => handlers.delete(handler);
}
