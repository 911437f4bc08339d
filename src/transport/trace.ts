/**
 * Wire trace: every byte a connection receives and sends, printed for people learning HTTP (and for
 * debugging clients). Bytes are escaped so control characters stay visible: `\r\n` ends a printed line,
 * other non-printable bytes show as `\xHH`. Past `maxBytes` per chunk the rest is summarized.
 *
 *   #3 <<< POST /hook?event=Stop HTTP/1.1\r\n
 *   #3 <<< Host: localhost\r\n
 *   #3 >>> HTTP/1.1 200 OK\r\n
 */
export interface WireTrace {
  received(connection: number, bytes: Uint8Array): void
  sent(connection: number, bytes: Uint8Array): void
  event(connection: number, message: string): void
}

export function createWireTrace(
  write: (line: string) => void = (line) => process.stderr.write(line),
  maxBytes = 2048,
): WireTrace {
  const dump = (prefix: string, bytes: Uint8Array): void => {
    const shown = Math.min(bytes.length, maxBytes)
    let out = ''
    let line = ''
    for (let i = 0; i < shown; i++) {
      const b = bytes[i]!
      if (b === 0x0d) line += '\\r'
      else if (b === 0x0a) {
        out += `${prefix}${line}\\n\n`
        line = ''
      } else if (b === 0x09) line += '\\t'
      else if (b === 0x5c) line += '\\\\'
      else if (b >= 0x20 && b < 0x7f) line += String.fromCharCode(b)
      else line += `\\x${b.toString(16).padStart(2, '0')}`
    }
    if (line !== '') out += `${prefix}${line}\n`
    if (bytes.length > shown) out += `${prefix}… (${bytes.length - shown} more bytes)\n`
    write(out)
  }
  return {
    received: (id, bytes) => dump(`#${id} <<< `, bytes),
    sent: (id, bytes) => dump(`#${id} >>> `, bytes),
    event: (id, message) => write(`#${id} --- ${message}\n`),
  }
}
