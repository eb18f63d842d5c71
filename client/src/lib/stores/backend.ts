// What a component may know of the backend: the type of the call its stores take (a test passes
// a fake) and the error they report. Never `invoke` itself: a component reaches the backend only
// through a store (tests/noInlineCalls.test.ts fails otherwise).
export type { ApiError, Invoke } from '../api';
