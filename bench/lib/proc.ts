/** Reading a child process's memory and CPU time from /proc (Linux); every reader returns undefined elsewhere. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** VmRSS and VmHWM (peak resident set since the process started), in KiB. */
export function readMemory(pid: number): { rss: number; hwm: number } | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1')
  } catch {
    return undefined
  }
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(text)
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text)
  if (rss === null) return undefined
  return { rss: Number(rss[1]), hwm: hwm === null ? Number(rss[1]) : Number(hwm[1]) }
}

let clockTicks: number | undefined

/** CPU time (user + system, all threads) the process has used so far, in seconds. */
export function readCpuSeconds(pid: number): number | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // Fields 14 and 15 (utime, stime) of the whole line are 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12])
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return ticks / clockTicks
}

/** Samples a process's memory every `intervalMs` until stopped; keeps the peaks. */
export class MemorySampler {
  private timer: NodeJS.Timeout
  peakRss = 0
  hwm = 0

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.sample()
    this.timer = setInterval(() => this.sample(), intervalMs)
  }

  sample(): void {
    const m = readMemory(this.pid)
    if (m === undefined) return
    if (m.rss > this.peakRss) this.peakRss = m.rss
    if (m.hwm > this.hwm) this.hwm = m.hwm
  }

  /** Stops sampling; returns the peak in KiB (VmHWM when the kernel reports it, else the sampled VmRSS peak). */
  stop(): number | undefined {
    this.sample()
    clearInterval(this.timer)
    const peak = Math.max(this.hwm, this.peakRss)
    return peak === 0 ? undefined : peak
  }
}

/**
 * The kernel's count of connections dropped because a listener's accept queue was full (TcpExt ListenOverflows,
 * system-wide). Read before and after a run: on an otherwise quiet loopback the difference belongs to the
 * server under test.
 */
export function readListenOverflows(): number | undefined {
  let text: string
  try {
    text = readFileSync('/proc/net/netstat', 'latin1')
  } catch {
    return undefined
  }
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'))
  if (lines.length < 2) return undefined
  const names = lines[0]!.split(/\s+/)
  const values = lines[1]!.split(/\s+/)
  const i = names.indexOf('ListenOverflows')
  return i === -1 ? undefined : Number(values[i])
}
