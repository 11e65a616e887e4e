// Node has the WebAssembly global, but its type lives in TypeScript's DOM lib, which the host does
// not load (it would bring browser globals). The host needs only the trap error class.
declare namespace WebAssembly {
  class RuntimeError extends Error {}
}
