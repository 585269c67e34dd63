/**
 * The geppetto command from source, for tests that run it as a process of its own (and may kill it).
 * Run with: node --experimental-transform-types geppetto-cli.ts webchat --port 0 …
 */
import { main } from "../../cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
