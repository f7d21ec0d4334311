/** A value kept for `ttlMs`, computed once however many callers ask at the same time. */
export class Cached<T> {
  private value: { v: T; at: number } | null = null;
  private inflight: Promise<T> | null = null;

  constructor(
    private readonly ttlMs: number,
    private readonly load: () => Promise<T>,
  ) {}

  get(): Promise<T> {
    if (this.value && Date.now() - this.value.at <= this.ttlMs) return Promise.resolve(this.value.v);
    this.inflight ??= this.load()
      .then((v) => {
        this.value = { v, at: Date.now() };
        return v;
      })
      .finally(() => (this.inflight = null));
    return this.inflight;
  }
}
