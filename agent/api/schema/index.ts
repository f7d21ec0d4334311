/**
 * The contract between the agent and the extension: the zod schema of every response, the query
 * parameters the agent takes, and the endpoint table. The agent types its handlers from these; the
 * extension validates every response with them. Imports nothing from Node, nor from the rest of
 * the agent (scripts/check-imports.ts). Objects are loose on purpose: a newer agent may add fields.
 *
 * One piece per file: enums (the words lower layers use as values), common (times, connections,
 * hidden values, errors), one file per response, queries (query parsing), paths (the prefix; no zod), endpoints (the table).
 */
export * from "./enums";
export * from "./common";
export * from "./health";
export * from "./tasks";
export * from "./task-lookup";
export * from "./workers";
export * from "./queues";
export * from "./overview";
export * from "./config";
export * from "./periodic";
export * from "./finding-view";
export * from "./findings";
export * from "./metrics";
export * from "./metrics-query";
export * from "./queries";
export * from "./paths";
export * from "./endpoints";
