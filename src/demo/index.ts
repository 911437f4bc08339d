/** The demo API of the seeds, on this project's framework: the app, and serving it (`observatory demo`). */
export { createDemoApp } from './app.ts'
export { type DemoAddress, serveDemo, startDemo } from './main.ts'
