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

export function createLogger(sink: LogSink = (line) => process.stdout.write(line + '\n')): Logger {
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
