/** Repeated timed GETs of a set of API queries: the samples behind each query's median. */
import { timedGet } from "./proc";

/** `rounds` timed rounds over every query, after one untimed warm-up round; a non-200 answer stops the run. */
export async function timeQueries(
  baseUrl: string,
  queries: { id: string; path: string }[],
  rounds: number,
): Promise<{ samples: Map<string, number[]>; totals: Map<string, number> }> {
  const samples = new Map<string, number[]>(queries.map((q) => [q.id, []]));
  const totals = new Map<string, number>();
  for (let r = 0; r < rounds + 1; r++) {
    for (const q of queries) {
      const res = await timedGet<{ total?: unknown }>(`${baseUrl}/api/v1/${q.path}`);
      if (res.status !== 200) throw new Error(`${q.path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      if (r > 0) samples.get(q.id)!.push(res.ms);
      if (typeof res.body.total === "number") totals.set(q.id, res.body.total);
    }
  }
  return { samples, totals };
}
