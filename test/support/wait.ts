// The polling helper lives with the load tools (they may not import from test/); tests use the same one.
export { sleep, until } from "../../loadtest/wait.ts";
