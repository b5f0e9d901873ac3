// `HOST:PORT` for the listeners. Loopback by default: `:9000` or `9000` listens on 127.0.0.1;
// any other address must be written out (and is then the user's explicit choice).
import { InputError } from '../../core/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(text: string, flag: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$|^(\d{1,5})$/.exec(text.trim());
  if (!m) throw new InputError(`expected HOST:PORT (e.g. 127.0.0.1:9000), got "${text}"`, flag);
  const port = Number(m[3] ?? m[4]);
  if (port > 65535) throw new InputError(`port ${port} is out of range`, flag);
  const host = m[1] ?? (m[2] && m[2].length > 0 ? m[2] : '127.0.0.1');
  return { host, port };
}
