// One readable line per event. Callers pass only safe fields: never tokens, passwords,
// cookies or query strings (the request logger drops the query on purpose).
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (line: string) => void;

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, string | number | undefined>): void;
}

function formatValue(value: string | number): string {
  const text = String(value);
  return /^[^\s"=]*$/.test(text) && text !== '' ? text : JSON.stringify(text);
}

/**
 * Standard output, one write per turn of the event loop rather than one per line (a line per
 * request would otherwise be a system call per request); what is pending is written on exit too.
 */
function stdoutSink(): LogSink {
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    process.stdout.write(text);
  };
  process.on('exit', flush);
  return (line) => {
    if (pending === '') setImmediate(flush);
    pending += line + '\n';
  };
}

let sharedStdout: LogSink | null = null;

export function createLogger(sink: LogSink = (sharedStdout ??= stdoutSink())): Logger {
  return {
    log(level, message, fields = {}) {
      const parts = [new Date().toISOString(), level.toUpperCase().padEnd(5), message];
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
      }
      sink(parts.join(' '));
    },
  };
}
