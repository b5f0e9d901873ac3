// Selective materialisation on top of the streaming tokenizer: a `Select` tree says which parts of
// a document to build into JS values (objects become `Map`s — member names come from malware), which
// to skip unread (everything not named, and any array or object whose selection keeps nothing of it,
// e.g. an array where an object was expected), and which arrays to stream item by item (`onItem`,
// the item is handed over and not kept). One handler instance reads one document.
import { type JsonHandler, type JsonScalar, JsonTokenizer, type TokenizerOptions } from './tokenizer.js';

/** A built JSON value: scalars, arrays, and objects as Maps (first value wins on duplicate names). */
export type JsonValue = JsonScalar | JsonValue[] | JsonMap;
export type JsonMap = Map<string, JsonValue>;

export interface Select {
  /** Build the whole value, whatever it is. */
  all?: boolean;
  /** For an object: the members to keep (each with its own selection); other members are skipped. */
  fields?: Map<string, Select>;
  /** For an object: the selection of members not named in `fields` (default: skip them). */
  otherFields?: Select;
  /** For an array: the selection of its items. */
  items?: Select;
  /** For an array: each completed item is passed here and not kept in the array. */
  onItem?: (item: JsonValue) => void;
  /** Called when this value starts (objects and arrays only). */
  onStart?: () => void;
}

/** The selection that builds everything below it. */
export const ALL: Select = { all: true };

/** Shorthand for an object selection: `select({name: ALL, children: ...})`. */
export function select(fields: Record<string, Select>, extra: Omit<Select, 'fields'> = {}): Select {
  return { ...extra, fields: new Map(Object.entries(fields)) };
}

const EMPTY: JsonValue[] = [];

interface Frame {
  select: Select;
  container: JsonMap | JsonValue[];
  /** Selection of the member value that follows the last key (objects). */
  childSelect: Select | undefined;
  key: string;
}

/** Builds the selected parts of one document; `root` is the complete (selected) top-level value. */
export class SelectiveBuilder implements JsonHandler {
  readonly tokenizer: JsonTokenizer;
  root: JsonValue | undefined;
  /** What the top-level value was (also when its selection kept nothing of it). */
  rootKind: 'object' | 'array' | 'scalar' | undefined;
  /** Open containers, innermost last; frame objects are reused (`depth` says how many are live). */
  private readonly frames: Frame[] = [];
  private depth = 0;

  constructor(
    private readonly rootSelect: Select,
    options?: TokenizerOptions,
  ) {
    this.tokenizer = new JsonTokenizer(this, options);
  }

  write(chunk: Buffer): void {
    this.tokenizer.write(chunk);
  }

  end(): void {
    this.tokenizer.end();
  }

  /** The selection of the value about to start. */
  private nextSelect(): Select {
    if (this.depth === 0) return this.rootSelect;
    const top = this.frames[this.depth - 1];
    if (top.select.all) return ALL;
    if (Array.isArray(top.container)) return top.select.items ?? ALL;
    return top.childSelect ?? ALL;
  }

  /** Starts building a container, or returns false when its selection keeps nothing of it. */
  private open(container: JsonMap | JsonValue[]): boolean {
    const sel = this.nextSelect();
    if (this.depth === 0) this.rootKind = Array.isArray(container) ? 'array' : 'object';
    const keeps = sel.all || (Array.isArray(container) ? sel.items : sel.fields || sel.otherFields);
    if (!keeps) return false;
    sel.onStart?.();
    const frame = this.frames[this.depth];
    if (frame === undefined) this.frames.push({ select: sel, container, childSelect: undefined, key: '' });
    else {
      frame.select = sel;
      frame.container = container;
      frame.childSelect = undefined;
      frame.key = '';
    }
    this.depth++;
    return true;
  }

  private close(): void {
    const frame = this.frames[--this.depth];
    const container = frame.container;
    frame.container = EMPTY; // let the built value go
    this.attach(container);
  }

  private attach(v: JsonValue): void {
    if (this.depth === 0) {
      this.root = v;
      this.rootKind ??= 'scalar';
      return;
    }
    const top = this.frames[this.depth - 1];
    const c = top.container;
    if (Array.isArray(c)) {
      const onItem = top.select.all ? undefined : top.select.onItem;
      if (onItem) onItem(v);
      else c.push(v);
    } else if (!c.has(top.key)) {
      c.set(top.key, v);
    }
  }

  startObject(): boolean {
    return this.open(new Map());
  }

  startArray(): boolean {
    return this.open([]);
  }

  endObject(): void {
    this.close();
  }

  endArray(): void {
    this.close();
  }

  key(name: string): void {
    const top = this.frames[this.depth - 1];
    top.key = name;
    if (top.select.all) return;
    const child = top.select.fields?.get(name) ?? top.select.otherFields;
    top.childSelect = child;
    if (child === undefined) this.tokenizer.skipValue();
  }

  value(v: JsonScalar): void {
    this.attach(v);
  }
}
