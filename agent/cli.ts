#!/usr/bin/env node
/**
 * celery-panel-agent: parse options, start the agent, serve HTTP, stop cleanly on SIGTERM/SIGINT.
 */
import { serve } from "@hono/node-server";
import { helpText, OptionError, readArgv, resolveOptions } from "./options";
import { Agent } from "./runtime";
import { createApp } from "./http/app";
import { VERSION } from "./version";
import { log } from "./log";

async function main(): Promise<void> {
  let options;
  try {
    const argv = readArgv(process.argv.slice(2));
    if (argv === "help") return void console.log(helpText());
    if (argv === "version") return void console.log(VERSION);
    options = resolveOptions(argv, process.env);
  } catch (e) {
    if (e instanceof OptionError) {
      console.error(`celery-panel-agent: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const agent = new Agent(options);
  agent.broker.onStatus((s) => log(s.state === "connected" ? "broker connected" : `broker ${s.state}${s.error ? `: ${s.error}` : ""}`));
  await agent.start();
  const app = createApp(agent);
  const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info) => {
    log(`listening on http://${info.family === "IPv6" ? `[${info.address}]` : info.address}:${info.port} (agent "${options.name}", broker ${agent.brokerDescription()})`);
  });
  server.on("error", (e: NodeJS.ErrnoException) => {
    console.error(`celery-panel-agent: cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`);
    process.exit(1);
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(0), 1500);
    force.unref();
    server.close();
    await agent.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

void main();
