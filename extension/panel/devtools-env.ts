/**
 * Everything the panel takes from devtools, in one place. Opened as a normal tab (as the
 * end-to-end tests do) `devtools` is undefined and the panel follows the system theme instead.
 */
export type Theme = "light" | "dark";

interface DevtoolsPanels {
  themeName?: string;
  onThemeChanged?: { addListener(callback: (themeName: string) => void): void };
}

function devtoolsPanels(): DevtoolsPanels | null {
  const scope = globalThis as { browser?: { devtools?: { panels?: DevtoolsPanels } }; chrome?: { devtools?: { panels?: DevtoolsPanels } } };
  return scope.browser?.devtools?.panels ?? scope.chrome?.devtools?.panels ?? null;
}

/** Chrome names its themes "default" and "dark"; Firefox "light" and "dark". */
function themeFromName(name: string | undefined): Theme | null {
  if (!name) return null;
  return name === "dark" ? "dark" : "light";
}

/** Sets `data-theme` on the root (the CSS falls back to prefers-color-scheme without it) and follows changes. */
export function applyDevtoolsTheme(root: HTMLElement = document.documentElement): void {
  const panels = devtoolsPanels();
  const set = (name: string | undefined) => {
    const theme = themeFromName(name);
    if (theme) root.dataset.theme = theme;
    else delete root.dataset.theme;
  };
  set(panels?.themeName);
  panels?.onThemeChanged?.addListener(set);
}
