/**
 * Where kombu's Redis transport keeps things, given the transport options the workers use.
 * Every key and pub/sub channel carries `global_keyprefix`; fanout channels also carry `/db.`.
 */

export interface TransportOptions {
  global_keyprefix: string;
  priority_steps: number[];
  sep: string;
  /** true: "/<db>." ; a string: that prefix ; false: none. */
  fanout_prefix: boolean | string;
  fanout_patterns: boolean;
  unacked_key: string;
  unacked_index_key: string;
  visibility_timeout: number;
  master_name?: string;
}

export const defaultTransportOptions: TransportOptions = {
  global_keyprefix: "",
  priority_steps: [0, 3, 6, 9],
  sep: "\x06\x16",
  fanout_prefix: true,
  fanout_patterns: true,
  unacked_key: "unacked",
  unacked_index_key: "unacked_index",
  visibility_timeout: 3600,
};

export interface BindingMember {
  routingKey: string;
  pattern: string;
  queue: string;
}

export class BrokerKeys {
  readonly prefix: string;
  readonly steps: number[];
  private readonly fanoutPrefix: string;
  /** Other prefixes workers may use for the same fanout (see the constructor). */
  private readonly altFanoutPrefixes: string[];

  constructor(
    readonly options: TransportOptions,
    readonly db: number,
    opts: { sentinel?: boolean } = {},
  ) {
    this.prefix = options.global_keyprefix;
    this.steps = [...options.priority_steps].sort((a, b) => a - b);
    const fp = options.fanout_prefix;
    const template = fp === true ? "/{db}." : fp === false ? "" : fp;
    // kombu formats {db} into the prefix, except its Sentinel channel (kombu 5.2), which publishes
    // on the literal "/{db}." channels: behind Sentinel, listen and publish on both.
    this.fanoutPrefix = template.replaceAll("{db}", String(db));
    this.altFanoutPrefixes = opts.sentinel && template.includes("{db}") ? [template] : [];
  }

  key(name: string): string {
    return this.prefix + name;
  }

  /** kombu picks the greatest step <= n (bisect_right - 1, wrapping to the last step as Python does). */
  stepFor(priority: number): number {
    let i = 0;
    while (i < this.steps.length && this.steps[i]! <= priority) i++;
    return this.steps[i === 0 ? this.steps.length - 1 : i - 1]!;
  }

  /** The Redis list for one priority step of a queue (step 0 is the bare queue name). */
  queueList(queue: string, step: number): string {
    return this.key(step ? `${queue}${this.options.sep}${step}` : queue);
  }

  /** Every list a queue's messages may sit in, in the order workers serve them. */
  priorityLists(queue: string): { step: number; key: string }[] {
    const seen = new Set<string>();
    const out: { step: number; key: string }[] = [];
    for (const step of this.steps) {
      const key = this.queueList(queue, step);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ step, key });
    }
    return out;
  }

  bindingKey(exchange: string): string {
    return this.key(`_kombu.binding.${exchange}`);
  }

  get bindingScanPattern(): string {
    return this.key("_kombu.binding.*");
  }

  /** Exchange name from a binding set key, or null if the key is not one. */
  exchangeOfBindingKey(key: string): string | null {
    const head = this.key("_kombu.binding.");
    return key.startsWith(head) ? key.slice(head.length) : null;
  }

  parseBindingMember(member: string): BindingMember | null {
    const parts = member.split(this.options.sep);
    if (parts.length !== 3) return null;
    return { routingKey: parts[0]!, pattern: parts[1]!, queue: parts[2]! };
  }

  bindingMember(b: BindingMember): string {
    return [b.routingKey, b.pattern, b.queue].join(this.options.sep);
  }

  /** The pub/sub channel of a fanout/topic exchange publish. */
  fanoutChannel(exchange: string, routingKey = ""): string {
    return this.channelWith(this.fanoutPrefix, exchange, routingKey);
  }

  /** Every channel a fanout publish may need to reach all workers (more than one behind Sentinel). */
  fanoutChannels(exchange: string, routingKey = ""): string[] {
    return [this.fanoutPrefix, ...this.altFanoutPrefixes].map((p) => this.channelWith(p, exchange, routingKey));
  }

  private channelWith(fanoutPrefix: string, exchange: string, routingKey: string): string {
    const base = `${fanoutPrefix}${exchange}`;
    return this.key(routingKey && this.options.fanout_patterns ? `${base}/${routingKey}` : base);
  }

  /** PSUBSCRIBE pattern for every event on an event exchange. */
  eventPattern(exchange: string): string {
    return this.eventPatterns(exchange)[0]!;
  }

  eventPatterns(exchange: string): string[] {
    return this.options.fanout_patterns ? this.fanoutChannels(exchange, "*") : this.fanoutChannels(exchange);
  }

  get unackedKey(): string {
    return this.key(this.options.unacked_key);
  }

  get unackedIndexKey(): string {
    return this.key(this.options.unacked_index_key);
  }
}
