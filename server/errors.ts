/**
 * The error catalog and the domain error live in protocol/ (shared with rooms, the matchmaker and
 * the SDK); this re-export keeps `server/` imports short. HTTP maps a RallyError to its status once,
 * in server/http/common.ts.
 */
export { ERRORS, RallyError, isRallyError, type ErrorCode, type ErrorDetails } from "../protocol/errors.ts";
