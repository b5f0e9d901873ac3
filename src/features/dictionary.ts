// The model's feature dictionary: full feature name ↔ dense index (the weight table's row).
// With a hashed feature space the name is the hash bucket (a decimal string, as Jubatus's
// hash_max_size gives) and `display` keeps the first real name seen in that bucket, so dumps and
// explanations can still show n-grams.
export class FeatureDictionary {
  /** Number of features. */
  private count = 0;
  /**
   * Feature names by index; may be shorter than `size`, and `undefined` or missing for a feature
   * appended lazily, named by `namer` on first use (training appends no array cell per n-gram).
   */
  private readonly names: Array<string | undefined> = [];
  /** Builds the name of a lazily appended feature (the native n-gram path registers it). */
  namer: ((index: number) => string) | undefined;
  /** For hashed features: the first original name that landed in the bucket. */
  readonly display = new Map<number, string>();
  /** Number of training documents that contained each feature (for pruning). */
  frequency = new Uint32Array(1024);
  /** name → index for features [0, indexed); caught up lazily (the hot path only appends). */
  private readonly index = new Map<string, number>();
  private indexed = 0;
  /** True while every name came through `append` (so the native path may skip the lookup). */
  onlyAppended = true;
  /** Changes whenever a feature is added or the numbering changes (caches of name → index check it). */
  version = 0;

  get size(): number {
    return this.count;
  }

  private catchUp(): void {
    for (let i = this.indexed; i < this.count; i++) this.index.set(this.name(i), i);
    this.indexed = this.count;
  }

  /** The full name of feature i (built now if it was appended lazily). */
  name(i: number): string {
    let n = i < this.names.length ? this.names[i] : undefined;
    if (n === undefined) {
      n = this.namer!(i);
      this.setName(i, n);
    }
    return n;
  }

  private setName(i: number, name: string): void {
    while (this.names.length < i) this.names.push(undefined);
    if (i === this.names.length) this.names.push(name);
    else this.names[i] = name;
  }

  /** Every name, in index order. */
  allNames(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.name(i));
  }

  get(name: string): number | undefined {
    if (this.indexed < this.count) this.catchUp();
    return this.index.get(name);
  }

  /** The index of `name`, created if new. */
  add(name: string, displayName?: string): number {
    const i = this.get(name);
    if (i !== undefined) return i;
    const created = this.append(name, displayName);
    this.onlyAppended = false;
    this.index.set(name, created);
    this.indexed = this.count;
    return created;
  }

  /**
   * Appends a name the caller knows is not in the dictionary (the native n-gram path: one
   * feature per distinct n-gram key); the by-name index catches up on the next lookup. With no
   * name, `namer` builds it when first needed (training allocates no string per new n-gram).
   */
  append(name?: string, displayName?: string): number {
    const i = this.count++;
    this.version++;
    if (name !== undefined) this.setName(i, name);
    if (displayName !== undefined) this.display.set(i, displayName);
    if (i >= this.frequency.length) {
      const f = new Uint32Array(this.frequency.length * 2);
      f.set(this.frequency);
      this.frequency = f;
    }
    return i;
  }

  /** What to show for feature i: its real name when the dictionary kept one. */
  shownName(i: number): string {
    return this.display.get(i) ?? this.name(i);
  }

  /** Keeps the listed old indices (ascending), renumbered 0.. in that order. */
  compact(keep: Int32Array): void {
    this.version++;
    const names = Array.from(keep, (i) => this.name(i));
    const display = new Map<number, string>();
    keep.forEach((i, k) => {
      const d = this.display.get(i);
      if (d !== undefined) display.set(k, d);
    });
    const freq = new Uint32Array(Math.max(1024, keep.length * 2));
    for (let k = 0; k < keep.length; k++) freq[k] = this.frequency[keep[k]];
    this.names.length = 0;
    this.display.clear();
    this.index.clear();
    for (let k = 0; k < names.length; k++) this.names.push(names[k]);
    for (const [k, d] of display) this.display.set(k, d);
    this.count = keep.length;
    this.indexed = 0;
    this.frequency = freq;
  }

  clear(): void {
    this.version++;
    this.count = 0;
    this.names.length = 0;
    this.display.clear();
    this.index.clear();
    this.indexed = 0;
    this.onlyAppended = true;
    this.frequency.fill(0);
  }
}
