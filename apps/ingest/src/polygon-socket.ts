import { WebSocket } from 'ws';

/**
 * Opens the Polygon WebSocket with the client's limits.
 *
 * @param handshakeTimeoutMs the HTTP upgrade's own deadline (the auth timeout).
 * @param maxFrameBytes frames past this are refused by the parser; see `maxPayload`.
 */
export function openPolygonSocket(
  url: string,
  handshakeTimeoutMs: number,
  maxFrameBytes: number,
): WebSocket {
  return new WebSocket(url, {
    perMessageDeflate: false,
    // The parser reads bytes and accepts only ASCII tickers; its
    // JSON.parse fallback decodes with replacement characters. A
    // second full pass over every frame to validate UTF-8 buys nothing.
    skipUTF8Validation: true,
    handshakeTimeout: handshakeTimeoutMs,
    // The parser drops a frame past maxFrameBytes and the stream goes
    // on. ws's own limit (100 MiB by default) only stops a frame so
    // large that buffering it is the harm: ws then closes with 1009.
    maxPayload: 4 * maxFrameBytes,
  });
}

/** Whether the socket is open (pings only go out on an open socket). */
export function socketOpen(ws: WebSocket): boolean {
  return ws.readyState === WebSocket.OPEN;
}

/** Close with a code; a peer that does not answer the close frame is cut after 1 s. */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  if (ws.readyState === WebSocket.CONNECTING) {
    ws.terminate();
    return;
  }
  try {
    ws.close(code, reason.slice(0, 100));
  } catch {
    ws.terminate();
    return;
  }
  setTimeout(() => ws.terminate(), 1000).unref();
}
