/** The state store contract (from the unary/duplex sessions) over PostgreSQL, on a cluster this file starts. */
import postgres from "postgres";
import { afterAll } from "vitest";
import { describeStateStoreContract } from "../../sessions/test-support.ts";
import { openPostgresStateStore } from "./state-store.ts";
import { startTestPostgres, type TestPostgres } from "./test-server.ts";

let server: Promise<TestPostgres> | undefined;
const cluster = () => (server ??= startTestPostgres());
afterAll(async () => (await server)?.dispose());

describeStateStoreContract(
  "PostgreSQL",
  async () => {
    const { url } = await cluster();
    const name = `states_${crypto.randomUUID().replaceAll("-", "")}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    await admin.end();
    const databaseUrl = url.replace(/\/postgres$/, `/${name}`);
    const store = await openPostgresStateStore({ url: databaseUrl });
    return {
      store,
      reopen: () => openPostgresStateStore({ url: databaseUrl }),
      dispose: () => store.close(),
      spec: databaseUrl,
      async corrupt(conversationId) {
        const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
        await sql`UPDATE geppetto_conversation_states SET variables_json = '{ half'
        WHERE conversation_id = ${conversationId}`;
        await sql.end();
      },
    };
  },
  { sharedAcrossProcesses: true },
);
