/**
 * `geppetto/stores/postgres`: the stores on PostgreSQL, for several instances sharing one database: the
 * {@link PostgresTurnStore} (session histories), the web chat's {@link PostgresTimelineStore} and the
 * unary/duplex sessions' {@link PostgresStateStore}. The client
 * (`postgres`, an optional peer dependency) is loaded only when a store is opened. Each store keeps a versioned
 * schema (table `geppetto_schema`) and migrates it on open under an advisory lock, so instances starting at once
 * migrate once.
 *
 * @example
 * import { openPostgresTurnStore } from "geppetto/stores/postgres";
 * const store = await openPostgresTurnStore({ url: process.env.DATABASE_URL! });
 */
export { type Migration, migrateSchema, type PostgresTarget, StoreConnectionError } from "./connection.ts";
export * from "./state-store.ts";
export * from "./timeline-store.ts";
export * from "./turn-store.ts";
