/**
 * Stands in for webextension-polyfill in the panel's web build (the page the agent serves at its
 * root). The polyfill refuses to load outside an extension, and that page calls no extension API
 * (see extension/panel/served.tsx); should one be called anyway, it fails here, by name.
 */
const browser: unknown = new Proxy(
  {},
  {
    get(_target, name) {
      throw new Error(`browser.${String(name)} is not available on the page the agent serves`);
    },
  },
);

export default browser;
