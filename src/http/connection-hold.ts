import type { ServerResponse } from 'node:http';

/**
 * After `response` (a 503 that says Retry-After) has gone out, its connection is not read again
 * for between half of `seconds` and all of it: the answer itself is sent at once, but a client
 * that sends its next request on the same connection without waiting (a flood, closed-loop) finds
 * it read only when most of the time it was told has passed. Without this, 400 flooding
 * connections came back ~6 000 times a second and their refusals alone saturated the event loop;
 * with it each connection costs one refusal per hold. The spread keeps connections refused
 * together from all coming back in the same millisecond (a burst of 400 refusals held the event
 * loop for ~50 ms). A client that honours Retry-After is never held; one that opens a new
 * connection for each attempt pays a TCP handshake each time and meets the per-address limits.
 * The caller holds only a client's own connection, never a trusted proxy's (it carries other
 * people's requests).
 */
export function holdConnectionAfter(response: ServerResponse, seconds: number): void {
  const socket = response.socket;
  if (!socket || seconds <= 0) return;
  response.once('finish', () => {
    // After the current turn: node's server resumes the socket once the response is done (it
    // drains the request), which would undo a pause made inside 'finish'.
    setImmediate(() => {
      if (socket.destroyed) return;
      socket.pause();
      const resume = setTimeout(() => socket.resume(), seconds * 1000 * (0.5 + Math.random() / 2));
      resume.unref();
      socket.once('close', () => clearTimeout(resume));
    });
  });
}
