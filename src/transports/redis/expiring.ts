/**
 * Consumer groups that expire (`SubscriptionOptions.expireAfterMs`). Redis keeps a consumer group until someone
 * destroys it, so a subscriber that crashed would leave its group behind for good, and Redis 7.0's consumer idle
 * time does not move while a consumer waits on a quiet stream, so it cannot tell a live group from a dead one.
 *
 * A subscription with an expiry therefore keeps a heartbeat key beside the stream (`<stream key>#alive:<group>`,
 * set with that expiry and renewed as it reads, so the server's clock ends it) and is recorded in a hash
 * (`<stream key>#expiring`). Every subscriber of the stream destroys, every few seconds, the recorded groups whose
 * heartbeat has run out.
 */
import type { Redis as RedisClient } from "ioredis";

/** How often a subscriber looks for expired groups on its stream. */
export const REAP_EVERY_MS = 5000;

const expiringKey = (streamKey: string) => `${streamKey}#expiring`;
const aliveKey = (streamKey: string, group: string) => `${streamKey}#alive:${group}`;

/**
 * Records `group` as expiring and renews its heartbeat: it lives `expireAfterMs` past this call.
 *
 * @example
 * await renewExpiring(client, "geppetto:events:chat", "webchat-frames-1", 60_000);
 */
export async function renewExpiring(
  client: RedisClient,
  streamKey: string,
  group: string,
  expireAfterMs: number,
): Promise<void> {
  const milliseconds = String(Math.max(1, Math.round(expireAfterMs)));
  await client.call("SET", aliveKey(streamKey, group), "1", "PX", milliseconds);
  await client.call("HSET", expiringKey(streamKey), group, milliseconds);
}

/** Destroys a group and forgets its expiry; true when the group existed. */
export async function destroyGroup(client: RedisClient, streamKey: string, group: string): Promise<boolean> {
  const destroyed = Number(await client.call("XGROUP", "DESTROY", streamKey, group).catch(() => 0));
  await client.call("DEL", aliveKey(streamKey, group));
  await client.call("HDEL", expiringKey(streamKey), group);
  return destroyed > 0;
}

/**
 * Destroys the stream's recorded groups (other than `own`) whose heartbeat ran out. Returns the groups destroyed.
 *
 * @example
 * await reapExpiredGroups(client, "geppetto:events:chat", "webchat-frames-1")
 */
export async function reapExpiredGroups(
  client: RedisClient,
  streamKey: string,
  own: string,
): Promise<string[]> {
  const recorded = (await client.call("HKEYS", expiringKey(streamKey))) as string[];
  const reaped: string[] = [];
  for (const group of recorded) {
    if (group === own || Number(await client.call("EXISTS", aliveKey(streamKey, group))) > 0) continue;
    if (await destroyGroup(client, streamKey, group)) reaped.push(group);
  }
  return reaped;
}
