/**
 * Limits on what a peer may send, with the reasoning behind each default. Every limit exists so that one client
 * cannot make the server hold unbounded memory; each maps to the status a client gets when it crosses it.
 */
export interface ProtocolLimits {
  /**
   * Longest request method in bytes: the longest method the application implements. Past it: 501 Not
   * Implemented (RFC 9112 §3: "A server that receives a method longer than any that it implements SHOULD
   * respond with a 501 (Not Implemented) status code"). The longest method in the IANA registry is 17 bytes
   * (UPDATEREDIRECTREF); 32 leaves room for extension methods. Judged from the method's own bytes, before the
   * request line length (see readRequestHead); a value above `maxRequestLineSize` acts as `maxRequestLineSize`.
   */
  maxMethodSize: number
  /**
   * Longest request line (method, target, version) in bytes, without its CRLF. Past it: 414 URI Too Long
   * (RFC 9112 §3: "a server that receives a request-target longer than any URI it wishes to parse MUST respond
   * with a 414"). nginx's default buffer is 8 KiB; RFC 9112 §3 recommends supporting at least 8000 octets.
   */
  maxRequestLineSize: number
  /**
   * Largest header section (request line, header lines and their line ends) in bytes. Past it: 431 Request
   * Header Fields Too Large (RFC 6585 §5). node:http's default is 16 KiB, as is this.
   */
  maxHeaderSize: number
  /** Most header field lines in one request. Past it: 431. Apache's LimitRequestFields default is 100. */
  maxHeaderCount: number
  /**
   * Longest chunk extension (everything between the chunk size and its CRLF). Past it: 400. Extensions carry no
   * meaning for this server; the bound stops a peer from streaming an endless size line (CVE-2023-30589 class).
   */
  maxChunkExtensionSize: number
  /** Largest trailer section of a chunked body in bytes. Past it: 431. */
  maxTrailerSize: number
  /**
   * Largest request body in bytes (Content-Length or the sum of chunk sizes). Past it: 413 Content Too Large
   * (RFC 9110 §15.5.14). The framework may lower it per route; this is the server-wide ceiling.
   */
  maxBodySize: number
}

export const DEFAULT_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxMethodSize: 32,
  maxRequestLineSize: 8 * 1024,
  maxHeaderSize: 16 * 1024,
  maxHeaderCount: 100,
  maxChunkExtensionSize: 1024,
  maxTrailerSize: 16 * 1024,
  maxBodySize: 32 * 1024 * 1024,
})
