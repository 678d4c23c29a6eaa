import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import { REQUEST_ID_HEADER } from './request-id.js';

/**
 * Response headers as Node's writeHead takes them flat: name, value, name, value. An array is
 * built without the property-by-property copies that spreading header objects costs (measured:
 * spreading made the early answer slower than the router's).
 */
export type FlatHeaders = readonly string[];

/** A fast path's answer, made from the request's headers alone, with no I/O. */
export interface FastAnswer {
  status: number;
  headers: FlatHeaders;
  /** Absent for a 304. */
  body?: string;
}

/** What Fastify's own HTTP/1 server takes from its options (lib/server.js, getServerInstance). */
interface ServerTimeouts {
  http?: http.ServerOptions;
  keepAliveTimeout?: unknown;
  requestTimeout?: unknown;
  connectionTimeout?: unknown;
  maxRequestsPerSocket?: unknown;
}

export type FastResponder = (request: IncomingMessage) => FastAnswer;

/** What the app tells the fast paths once its hooks are installed (see FastPaths.attach). */
export interface FastPathHost {
  /** While the app drains, every request goes through Fastify (503 and Connection: close). */
  closing(): boolean;
  /** True at LOG_LEVEL=info and below, where Fastify logs every request: then nothing is taken early. */
  logsEveryRequest: boolean;
  /** The request id the onRequest hook would set (x-request-id). */
  requestId(): string;
  /** The headers the global onRequest hooks set on every reply besides the request id (the security headers); an answer's own header of the same name replaces one, as a route's does. */
  everyResponse: FlatHeaders;
  /** The metrics the global onResponse hook records for a reply. */
  record(method: string, route: string, status: number, seconds: number): void;
}

/**
 * GET documents answered before Fastify's router sees the request: the same bytes the router's
 * route would send (that route stays registered and answers everything the fast path leaves to it:
 * HEAD, a query string, a request while draining, any request when every request is logged).
 * A resource server polls JWKS; at 50 connections the router, its hooks and the reply object were
 * a third of the request's CPU (README, "Performance").
 */
export class FastPaths {
  private readonly routes = new Map<string, FastResponder>();
  private host?: FastPathHost;
  private merged = new WeakMap<FlatHeaders, FlatHeaders>();

  /** Fastify's serverFactory: the HTTP/1 server Fastify would make, with the same timeouts, dispatching here first. */
  readonly serverFactory: FastifyServerFactory = (handler, fastifyOptions) => {
    // Fastify has filled in its defaults by now (fastify.js, before it asks for the server).
    const options = fastifyOptions as ServerTimeouts;
    const server = http.createServer(options.http ?? {}, (request, response) => {
      if (!this.answered(request, response)) handler(request, response);
    });
    if (typeof options.keepAliveTimeout === 'number') server.keepAliveTimeout = options.keepAliveTimeout;
    if (typeof options.requestTimeout === 'number') server.requestTimeout = options.requestTimeout;
    if (typeof options.connectionTimeout === 'number') server.setTimeout(options.connectionTimeout);
    if (typeof options.maxRequestsPerSocket === 'number' && options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };

  /** Serves GET `path` (exactly, no query string) from `respond` once the host is attached. */
  get(path: string, respond: FastResponder): void {
    this.routes.set(path, respond);
  }

  attach(host: FastPathHost): void {
    this.host = host;
    this.merged = new WeakMap();
  }

  /** The host's headers but those the answer sets, then the answer's: computed once per answer headers array (answers reuse theirs). */
  private withEveryResponse(host: FastPathHost, headers: FlatHeaders): FlatHeaders {
    let merged = this.merged.get(headers);
    if (!merged) {
      const own = new Set(headers.filter((_, i) => i % 2 === 0));
      const kept = host.everyResponse.filter((_, i, all) => !own.has(all[i - (i % 2)]!));
      merged = [...kept, ...headers];
      this.merged.set(headers, merged);
    }
    return merged;
  }

  private answered(request: IncomingMessage, response: ServerResponse): boolean {
    const host = this.host;
    if (!host || host.logsEveryRequest || request.method !== 'GET') return false;
    const respond = this.routes.get(request.url ?? '');
    if (!respond || host.closing()) return false;
    const started = performance.now();
    let answer: FastAnswer;
    try {
      answer = respond(request);
    } catch {
      return false; // the router's route answers, and its error handler logs what went wrong
    }
    const headers = [REQUEST_ID_HEADER, host.requestId(), ...this.withEveryResponse(host, answer.headers)];
    if (answer.body !== undefined) headers.push('content-length', String(Buffer.byteLength(answer.body)));
    try {
      response.writeHead(answer.status, headers);
    } catch {
      return false; // a header value Node refuses to write (nothing is written then): the router answers
    }
    response.end(answer.body);
    host.record('GET', request.url!, answer.status, (performance.now() - started) / 1000);
    return true;
  }
}
