/**
 * zod/mini configured once for every piece of the schema, each of which imports this first.
 * (Only the configuration: re-exporting zod's namespace from here would keep all of zod in the
 * extension's bundles.)
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// Extension pages forbid `new Function`; zod must not try it. Harmless for the agent.
z.config({ jitless: true });
// zod/mini loads no messages of its own ("Invalid input" for everything): the English ones, for
// the agent's 400s and the extension's "the agent sent something unexpected" alike.
z.config(en());
