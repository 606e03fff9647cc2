/**
 * The shutdown deadline, kept by a thread of its own. On the embedded
 * database a statement runs on the server's thread and can hold it for
 * seconds; the timer in main.ts cannot fire meanwhile, so a deadline of 30 s
 * became 76 s. This thread's timer runs whatever the main thread does, and at
 * the deadline it says so on stderr and kills the process (SIGKILL: a thread
 * cannot make the process exit with a code of its own choosing). The embedded
 * database then recovers from its write-ahead log at the next start, as after
 * any crash.
 */
import { Worker } from 'node:worker_threads'

const WATCHDOG = `
const { workerData } = require('node:worker_threads')
const { writeSync } = require('node:fs')
setTimeout(() => {
  writeSync(2, JSON.stringify({ level: 50, time: Date.now(), pid: process.pid, msg: workerData.message }) + '\\n')
  process.kill(process.pid, 'SIGKILL')
}, workerData.ms)
`

/** Starts the deadline; the thread never keeps the process alive. */
export function startShutdownWatchdog(ms: number, message: string): Worker {
  // None of the server's node flags (--import tsx, --input-type…): plain CommonJS, started at once.
  const worker = new Worker(WATCHDOG, { eval: true, execArgv: [], workerData: { ms, message } })
  worker.unref()
  return worker
}
