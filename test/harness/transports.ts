/**
 * The transports the contract suite (test/integration/transport-contract.test.ts) runs against:
 * each entry starts a private broker and says how to reach it, how to run the fixture's workers on
 * it, and how to do to it what only a test does (junk on the event channel, a restart, watching
 * what the agent writes). Adding a transport (RabbitMQ) is one more entry in TRANSPORTS_UNDER_TEST.
 */
import { connect } from "amqplib";
import { Redis } from "ioredis";
import { BrokerKeys, defaultTransportOptions, type TransportOptions } from "../../agent/protocol/redis/keys";
import { RedisServer } from "./deployment";
import { RabbitMQNode } from "./rabbitmq";
import { rabbitSnapshot, unneededRabbitWrites } from "./rabbitmq-watch";
import { monitorPanelCommands, READS } from "./redis-monitor";

export interface BrokerUnderTest {
  /** The broker URL, as given to openBroker. */
  url: string;
  /** A result backend for the workers (any kind the fixture app takes). */
  backend: string;
  transportOptions: TransportOptions;
  /** Environment for the fixture app's workers and runPython on this broker. */
  env: Record<string, string>;
  /** False: the broker cannot list bindings without its management API (RabbitMQ). */
  listsBindings: boolean;
  /** The least `seen` that shows the watch saw the transport at all (commands on Redis, connections/queues/channels on RabbitMQ). */
  leastSeen: number;
  /** Publishes `body` raw where Celery's events go. */
  publishOnEventChannel(body: string): Promise<void>;
  /** Stops the broker and starts it again on the same address (empty). */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** From now on, what the panel's connections send; `stop()` counts it and lists the writes the protocol did not need. */
  watchWrites(): Promise<{ stop(): Promise<{ seen: number; unneeded: string[] }> }>;
  destroy(): Promise<void>;
}

export interface TransportUnderTest {
  name: string;
  start(): Promise<BrokerUnderTest>;
}

/** kombu's Redis transport on a private redis-server, with the given transport options. */
function redisTransport(name: string, options: Partial<TransportOptions> = {}): TransportUnderTest {
  return {
    name,
    async start() {
      const server = await RedisServer.start();
      const transportOptions = { ...defaultTransportOptions, ...options };
      const keys = new BrokerKeys(transportOptions, 0);
      const pidboxReplies = keys.bindingKey("reply.celery.pidbox");
      return {
        url: server.url(0),
        backend: server.url(1),
        transportOptions,
        listsBindings: true,
        leastSeen: 21,
        env: Object.keys(options).length ? { FIXTURE_TRANSPORT_OPTIONS: JSON.stringify(options) } : ({} as Record<string, string>),
        async publishOnEventChannel(body) {
          const c = new Redis(server.port, "127.0.0.1");
          try {
            await c.publish(keys.fanoutChannels("celeryev", "task.succeeded")[0]!, body);
          } finally {
            c.disconnect();
          }
        },
        stop: () => server.stop(),
        restart: () => server.run(),
        async watchWrites() {
          const watch = await monitorPanelCommands(server.port);
          return {
            async stop() {
              const needed = (args: string[]) => {
                const [cmd, key = ""] = [args[0]!.toLowerCase(), args[1]];
                if (READS.has(cmd)) return true;
                // Remote control: the request, the reply binding and the reply list, removed again.
                if (cmd === "publish") return keys.fanoutChannels("celery.pidbox").includes(key);
                if (cmd === "sadd" || cmd === "srem") return key === pidboxReplies;
                return cmd === "del" && args.slice(1).every((k) => k.startsWith(transportOptions.global_keyprefix) && k.endsWith(".reply.celery.pidbox"));
              };
              const sent = await watch.stop();
              return { seen: sent.length, unneeded: sent.filter((a) => !needed(a)).map((a) => a.slice(0, 3).join(" ").slice(0, 160)) };
            },
          };
        },
        destroy: () => server.destroy(),
      };
    },
  };
}

/** The exchanges Celery's own processes declare on the fixture's broker (events, remote control, task queues). */
const CELERY_EXCHANGES = new Set(["celeryev", "celery.pidbox", "reply.celery.pidbox", "celery", "media", "audit", "contract", "contract-parked"]);

/** kombu's AMQP transport on a private RabbitMQ node; `vhost`/`user` other than guest on "/" when given. */
function rabbitTransport(name: string, account?: { vhost: string; user: string; password: string }): TransportUnderTest {
  return {
    name,
    async start() {
      const [node, redis] = await Promise.all([RabbitMQNode.start(), RedisServer.start()]);
      if (account) await node.addVhostAndUser(account.vhost, account.user, account.password);
      const vhost = account?.vhost ?? "/";
      const url = node.url(account ?? {});
      const before = await rabbitSnapshot(node, vhost);
      return {
        url,
        backend: redis.url(1),
        transportOptions: defaultTransportOptions,
        listsBindings: false,
        leastSeen: 3,
        env: {},
        async publishOnEventChannel(body) {
          const c = await connect(url);
          try {
            const ch = await c.createChannel();
            ch.publish("celeryev", "task.succeeded", Buffer.from(body));
            await ch.close();
          } finally {
            await c.close();
          }
        },
        stop: () => node.stop(),
        restart: () => node.run(),
        async watchWrites() {
          return { stop: () => unneededRabbitWrites(node, vhost, before, CELERY_EXCHANGES) };
        },
        async destroy() {
          await Promise.all([node.destroy(), redis.destroy()]);
        },
      };
    },
  };
}

export const TRANSPORTS_UNDER_TEST: readonly TransportUnderTest[] = [
  redisTransport("redis"),
  redisTransport("redis with global_keyprefix", { global_keyprefix: "acme:" }),
  rabbitTransport("rabbitmq"),
  rabbitTransport("rabbitmq on vhost prod/eu, a password that needs encoding", { vhost: "prod/eu", user: "panel", password: "p@ss:w/rd%" }),
];
