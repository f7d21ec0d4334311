/** The devtools page: registers the "Celery" panel; the panel itself is panel.html. */
import browser from "webextension-polyfill";
import { PANEL_SHOWN_EVENT } from "./page/page-network";

// The panel page reads the inspected page's requests only while it is shown: tell it when it is.
let panelWindow: Window | null = null;
const tell = (shown: boolean) => panelWindow?.dispatchEvent(new CustomEvent(PANEL_SHOWN_EVENT, { detail: shown }));
void browser.devtools.panels.create("Celery", "icons/icon-32.png", "panel.html").then((panel) => {
  panel.onShown.addListener((win: Window) => {
    panelWindow = win;
    tell(true);
  });
  panel.onHidden.addListener(() => tell(false));
});
