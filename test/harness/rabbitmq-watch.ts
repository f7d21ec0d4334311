/**
 * What the agent did on a RabbitMQ node, from the node's own listings (rabbitmqctl): the agent's
 * connections are those named "celery-panel"; the queues they own, the consumers on their channels
 * and the exchanges that appeared are compared with a snapshot taken before. The read-only rule on
 * RabbitMQ: only exclusive, non-durable, auto-delete queues of the agent's own, consumed only by
 * the agent; no exchange but the ones Celery's own processes declare (the reply exchange included).
 */
import type { RabbitMQNode } from "./rabbitmq";

export interface RabbitSnapshot {
  exchanges: Set<string>;
  queues: Set<string>;
}

export async function rabbitSnapshot(node: RabbitMQNode, vhost: string): Promise<RabbitSnapshot> {
  const [exchanges, queues] = await Promise.all([node.exchanges(vhost), node.queues(vhost)]);
  return { exchanges: new Set(exchanges.map((e) => e.name)), queues: new Set(queues.map((q) => q.name)) };
}

/** The agent's connection and channel pids on the node. */
async function agentPids(node: RabbitMQNode, vhost: string): Promise<{ connections: Set<string>; channels: Set<string> }> {
  const conns = (await node.ctl("list_connections", "--no-table-headers", "pid", "vhost", "client_properties"))
    .split("\n")
    .filter((l) => l.includes("celery-panel"));
  const connections = new Set(conns.filter((l) => l.split("\t")[1] === vhost).map((l) => l.split("\t")[0]!));
  const chans = (await node.ctl("list_channels", "--no-table-headers", "pid", "connection")).split("\n").filter(Boolean);
  const channels = new Set(chans.filter((l) => connections.has(l.split("\t")[1]!)).map((l) => l.split("\t")[0]!));
  return { connections, channels };
}

/**
 * What the agent did that a read-only monitor must not: one line each. `celeryExchanges`: the
 * exchanges Celery's processes declare (task exchanges, celeryev, celery.pidbox, reply.celery.pidbox).
 */
export async function unneededRabbitWrites(
  node: RabbitMQNode,
  vhost: string,
  before: RabbitSnapshot,
  celeryExchanges: Set<string>,
): Promise<{ seen: number; unneeded: string[] }> {
  const { connections, channels } = await agentPids(node, vhost);
  const unneeded: string[] = [];
  const queues = (await node.ctl("list_queues", "-p", vhost, "--no-table-headers", "name", "owner_pid", "exclusive", "durable", "auto_delete"))
    .split("\n")
    .filter(Boolean);
  let own = 0;
  for (const line of queues) {
    const [name = "", owner = "", exclusive, durable, autoDelete] = line.split("\t");
    if (!connections.has(owner)) continue;
    own++;
    if (exclusive !== "true" || durable !== "false" || autoDelete !== "true" || !name.startsWith("celerypanel.")) {
      unneeded.push(`queue ${name}: exclusive=${exclusive} durable=${durable} auto_delete=${autoDelete}`);
    }
  }
  for (const line of queues) {
    const [name = "", , exclusive] = line.split("\t");
    // A new queue nobody owns exclusively was declared by Celery's processes or by the agent: only Celery's names may appear.
    if (exclusive !== "true" && !before.queues.has(name) && name.startsWith("celerypanel.")) unneeded.push(`non-exclusive queue ${name}`);
  }
  const consumers = (await node.ctl("list_consumers", "-p", vhost, "--no-table-headers", "queue_name", "channel_pid")).split("\n").filter(Boolean);
  for (const line of consumers) {
    const [queue = "", channel = ""] = line.split("\t");
    if (channels.has(channel) && !queue.startsWith("celerypanel.")) unneeded.push(`consumes ${queue}`);
  }
  for (const e of (await node.exchanges(vhost)).map((x) => x.name)) {
    if (!before.exchanges.has(e) && !celeryExchanges.has(e)) unneeded.push(`exchange ${e}`);
  }
  return { seen: connections.size + own + channels.size, unneeded };
}
