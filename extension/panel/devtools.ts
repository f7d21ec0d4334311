/** The devtools page: registers the "Celery" panel; the panel itself is panel.html. */
import browser from "webextension-polyfill";

void browser.devtools.panels.create("Celery", "icons/icon-32.png", "panel.html");
