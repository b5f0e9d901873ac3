// Bearer-token authentication with two scopes: `read` (classify, explain, model, dump, rules,
// alerts, metrics) and `write` (train, rules PUT, model save/load, events; implies read).
// Tokens come from a file (`--tokens FILE`, lines `TOKEN SCOPE`, `#` comments) or the
// MALGRAM_TOKENS environment variable (entries `TOKEN SCOPE` or `TOKEN:SCOPE`, separated by
// commas or newlines). Tokens are kept as SHA-256 digests and a presented token is compared with
// every one of them with crypto.timingSafeEqual, so the time taken does not depend on how much
// of a token matched, nor on which one matched.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InputError, readTextFile } from '../core/errors.js';

export type Scope = 'read' | 'write';
/** What a route needs: a scope, or nothing (health check, API document). */
export type RouteAccess = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (default `write`). */
    access?: RouteAccess;
  }
}

const MAX_TOKENS = 10_000;
const MIN_TOKEN_CHARS = 16;

interface TokenEntry {
  digest: Buffer;
  scope: Scope;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class TokenSet {
  private constructor(private readonly entries: TokenEntry[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** Parses `TOKEN SCOPE` entries; `where` names the source for error messages. */
  static parse(text: string, where: string, separators: RegExp): TokenSet {
    const entries: TokenEntry[] = [];
    text.split(separators).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const m = /^(\S+?)(?:\s+|:)(read|write)$/.exec(line);
      const at = `${where}:${i + 1}`;
      if (!m) throw new InputError('expected "TOKEN read" or "TOKEN write"', at);
      if (m[1].length < MIN_TOKEN_CHARS)
        throw new InputError(`token shorter than ${MIN_TOKEN_CHARS} characters`, at);
      if (entries.length >= MAX_TOKENS) throw new InputError(`more than ${MAX_TOKENS} tokens`, where);
      entries.push({ digest: digest(m[1]), scope: m[2] as Scope });
    });
    return new TokenSet(entries);
  }

  /** Tokens from `--tokens FILE` and/or MALGRAM_TOKENS. */
  static load(file: string | undefined, env: string | undefined): TokenSet {
    const sets: TokenSet[] = [];
    if (file !== undefined) {
      sets.push(TokenSet.parse(readTextFile(file), file, /\r?\n/));
    }
    if (env !== undefined && env.trim() !== '') sets.push(TokenSet.parse(env, 'MALGRAM_TOKENS', /[,\n]/));
    return new TokenSet(sets.flatMap((s) => s.entries));
  }

  /** The scope of a presented token, or undefined; every stored token is compared. */
  scopeOf(token: string): Scope | undefined {
    const d = digest(token);
    let found: Scope | undefined;
    for (const e of this.entries) {
      // no early exit: the loop always runs over every token
      if (timingSafeEqual(d, e.digest) && (found === undefined || e.scope === 'write')) found = e.scope;
    }
    return found;
  }
}

/** The bearer token of an Authorization header, if it has the `Bearer TOKEN` form. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * Who a request counts as for the rate limit: a valid token (by its digest, never the token
 * itself), else the client address, so invented tokens do not buy a fresh allowance each.
 */
export function rateLimitKey(tokens: TokenSet, header: string | undefined, ip: string): string {
  const token = bearerToken(header);
  if (token !== undefined && tokens.scopeOf(token) !== undefined)
    return `token:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
  return `ip:${ip}`;
}

/** Whether `granted` allows what a route needs. */
export function allows(granted: Scope, needed: Scope): boolean {
  return granted === 'write' || needed === 'read';
}

/**
 * An onRequest hook enforcing the route's access (from `routeOptions.config.access`): 401 without a
 * valid bearer token, 403 with a token lacking the scope. Without tokens every request passes
 * (the server then listens on loopback only).
 */
export function authHook(tokens: TokenSet) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const access = request.routeOptions.config.access ?? 'write';
    if (access === 'public' || tokens.size === 0) return;
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      reply.header('www-authenticate', 'Bearer realm="malgram"');
      return reply.code(401).send({ error: 'missing bearer token (Authorization: Bearer TOKEN)' });
    }
    const scope = tokens.scopeOf(token);
    if (scope === undefined) {
      reply.header('www-authenticate', 'Bearer realm="malgram", error="invalid_token"');
      return reply.code(401).send({ error: 'unknown token' });
    }
    if (!allows(scope, access as Scope)) {
      return reply.code(403).send({
        error: `this token has scope "${scope}"; ${request.method} ${request.routeOptions.url} needs "${access}"`,
      });
    }
  };
}

/** Whether a listen host is a loopback address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
