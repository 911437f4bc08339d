/** The JSON API room: `/api/sessions`, `/api/events`, `/api/tools` (routes.ts). */
export { type ApiOptions, registerApi, replaySession } from './routes.ts'
