/** One readable line per thing that happened (start, connect, disconnect, error). */
export function log(message: string): void {
  console.log(`${new Date().toISOString()} ${message}`);
}
