/** The private PostgreSQL helper lives in loadtest/ (the load and chaos tools start one too); tests import it from here. */
export * from "../../loadtest/postgres.ts";
