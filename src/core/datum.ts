// Jubatus's datum: the generic input of its converter (jubatus-reference.md §2.1, §3.2).
// Lists of pairs, not maps: duplicate keys are allowed and order is kept.

export interface Datum {
  stringValues: Array<[key: string, value: string]>;
  numValues: Array<[key: string, value: number]>;
  binaryValues?: Array<[key: string, value: Uint8Array]>;
}

/** A converted sparse feature vector: full Jubatus feature names and their values, in order. */
export type FeatureVector = Array<[name: string, value: number]>;
