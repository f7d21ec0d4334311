#!/usr/bin/env node
/**
 * celery-panel-agent: parse options, start the agent, serve HTTP, stop cleanly on SIGTERM/SIGINT.
 */
import { serve } from "@hono/node-server";
import { type AgentOptions, helpText, OptionError, readArgv, resolveOptions } from "./options";
import { Agent } from "./runtime/agent";
import { createApp } from "./http/app";
import { VERSION } from "./version";
import { configureLog, log } from "./base/log";
import { findWebBuild } from "./http/static";

async function main(): Promise<void> {
  let options: AgentOptions;
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
  configureLog({ json: options.jsonLogs });
  const agent = new Agent(options);
  const unreadable = agent.unreadableBackend;
  const backend =
    agent.backendDescription() ?? (unreadable ? `${unreadable.url} (not read: only its caller can)` : "to be read from the workers' configuration");
  const api = agent.brokerApiDescription();
  log(
    "start",
    `celery-panel-agent ${VERSION} starting (agent "${options.name}", broker ${agent.brokerKindName()} ${agent.brokerDescription()}${api ? `, management API ${api}` : ""}, result backend ${backend})`,
    {
      version: VERSION,
      name: options.name,
      broker: agent.brokerDescription(),
      broker_api: api,
      result_backend: agent.backendDescription() ?? unreadable?.url ?? null,
    },
  );
  await agent.start();
  const webRoot = findWebBuild();
  const app = createApp(agent, webRoot);
  const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info) => {
    const url = `http://${info.family === "IPv6" ? `[${info.address}]` : info.address}:${info.port}`;
    const page = webRoot ? `web panel at ${url}/` : "no web panel build (npm run build)";
    const auth = options.token !== null || options.limitedTokens.length > 0;
    const access = `token ${auth ? "required" : "not required"}${options.limitedTokens.length ? `, ${options.limitedTokens.length} limited` : ""}${options.redact ? "; task payloads redacted" : ""}`;
    log("listening", `listening on ${url} (${page}; ${access})`, {
      url,
      web_panel: webRoot !== null,
      auth,
      limited_tokens: options.limitedTokens.length,
      redact: options.redact,
    });
  });
  // Where to listen is the user's choice: a refusal is a bad option (status 2), said with what to do.
  server.on("error", (e: NodeJS.ErrnoException) => {
    const why =
      e.code === "EADDRINUSE"
        ? `port ${options.port} is in use (another agent?): choose another with --port N`
        : `cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}${e.code === "EADDRNOTAVAIL" ? " (no such address on this machine: check --host)" : ""}`;
    log("error", why, { host: options.host, port: options.port, code: e.code ?? null }, "error");
    process.exit(2);
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("stop", `${signal}: stopping`, { signal });
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
