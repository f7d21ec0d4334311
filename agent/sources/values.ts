/** Short, display-ready text for task arguments and results, whatever form they came in. */
const PREVIEW_CHARS = 200;

export function preview(v: unknown): string {
  const text = typeof v === "string" ? v : (JSON.stringify(v) ?? "null");
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}
