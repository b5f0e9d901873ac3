// The Jubatus classifier service over MessagePack-RPC (jubatus-reference.md §3): the methods of
// classifier.idl plus the common ones, with Jubatus's data structures. Every method's first
// parameter is the cluster name, ignored by a server. Save/load ids follow Jubatus (non-empty,
// printable ASCII, no `/`) and name `<datadir>/<ip>_<port>_classifier_<id>.jubatus`, a Jubatus
// model file (§5, src/learn/jubatus-file.ts: the model's save writes that format for a `.jubatus`
// name, with `<id>` in system_data), so a Jubatus server can load what we save and vice versa.
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Datum } from '../../core/datum.js';
import { VERSION } from '../../core/version.js';
import type { ModelHost } from '../model-host.js';
import { Double, type RpcValue } from './msgpack-writer.js';
import { RpcArgumentError, type RpcMethod } from './server.js';

export interface ClassifierServiceOptions {
  /** Where save/load put model files. */
  dataDir: string;
  /** `ip_port` of this server: the key of save/get_status answers and part of file names. */
  ip: string;
  port: number;
  configPath?: string;
  /** Largest number of datums in one train/classify call. */
  maxBatch: number;
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function pairs<V>(
  raw: unknown,
  where: string,
  value: (v: unknown) => V | undefined,
  what: string,
): Array<[string, V]> {
  if (!Array.isArray(raw)) throw new RpcArgumentError(`${where} must be a list of [key, ${what}]`);
  return raw.map((p, i) => {
    const v = Array.isArray(p) && p.length === 2 && isString(p[0]) ? value(p[1]) : undefined;
    if (v === undefined) throw new RpcArgumentError(`${where}[${i}] must be [string key, ${what}]`);
    return [p[0] as string, v];
  });
}

/** `datum = [string_values, num_values, binary_values]` (binary_values may be left out). */
export function datumFromRpc(raw: unknown, where: string): Datum {
  if (!Array.isArray(raw) || raw.length < 2 || raw.length > 3)
    throw new RpcArgumentError(`${where} must be a datum [string_values, num_values, binary_values]`);
  return {
    stringValues: pairs(raw[0], `${where}.string_values`, (v) => (isString(v) ? v : undefined), 'string'),
    numValues: pairs(
      raw[1],
      `${where}.num_values`,
      (v) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined),
      'number',
    ),
    binaryValues:
      raw.length === 3
        ? pairs(
            raw[2],
            `${where}.binary_values`,
            (v) =>
              v instanceof Uint8Array ? v : isString(v) ? new Uint8Array(Buffer.from(v, 'utf8')) : undefined,
            'bytes',
          )
        : [],
  };
}

function listParam(params: unknown[], index: number, what: string, maxBatch: number): unknown[] {
  const list = params[index];
  if (!Array.isArray(list)) throw new RpcArgumentError(`params[${index}] must be a list of ${what}`);
  if (list.length > maxBatch)
    throw new RpcArgumentError(`params[${index}]: at most ${maxBatch} ${what} per call`);
  return list;
}

function stringParam(params: unknown[], index: number, what: string): string {
  const v = params[index];
  if (!isString(v)) throw new RpcArgumentError(`params[${index}] (${what}) must be a string`);
  return v;
}

function checkArity(params: unknown[], n: number): void {
  if (params.length !== n)
    throw new RpcArgumentError(`expected ${n} parameter(s) (name first), got ${params.length}`);
}

/** Jubatus's rule for save/load ids. */
export function checkModelId(id: string): void {
  if (id === '') throw new Error('empty id is not allowed');
  if (id.includes('/')) throw new Error('id must not contain "/"');
  if (!/^[\x20-\x7e]+$/.test(id)) throw new Error('id must be printable ASCII');
}

export function classifierMethods(host: ModelHost, opts: ClassifierServiceOptions): Map<string, RpcMethod> {
  const startTime = new Date();
  const key = `${opts.ip}_${opts.port}`;
  const modelFile = (id: string) => {
    checkModelId(id);
    return join(opts.dataDir, `${opts.ip}_${opts.port}_classifier_${id}.jubatus`);
  };

  const methods = new Map<string, RpcMethod>();
  methods.set('train', (params) => {
    checkArity(params, 2);
    const items = listParam(params, 1, 'labeled_datum', opts.maxBatch).map((ld, i) => {
      if (!Array.isArray(ld) || ld.length !== 2 || !isString(ld[0]))
        throw new RpcArgumentError(`params[1][${i}] must be a labeled_datum [label, datum]`);
      if (ld[0] === '') throw new RpcArgumentError(`params[1][${i}]: empty label`);
      return { label: ld[0], datum: datumFromRpc(ld[1], `params[1][${i}][1]`) };
    });
    return host.trainDatums(items);
  });
  methods.set('classify', (params) => {
    checkArity(params, 2);
    const data = listParam(params, 1, 'datum', opts.maxBatch).map((d, i) =>
      datumFromRpc(d, `params[1][${i}]`),
    );
    return data.map((d) => {
      const out: RpcValue[] = [];
      for (const [label, score] of host.model.classifyDatum(d).scores) out.push([label, new Double(score)]);
      return out;
    });
  });
  methods.set('get_labels', (params) => {
    checkArity(params, 1);
    return new Map<string, RpcValue>(host.model.labelCounts());
  });
  methods.set('set_label', (params) => {
    checkArity(params, 2);
    const label = stringParam(params, 1, 'new_label');
    if (label === '') throw new RpcArgumentError('params[1]: empty label');
    return host.setLabel(label);
  });
  methods.set('delete_label', (params) => {
    checkArity(params, 2);
    return host.deleteLabel(stringParam(params, 1, 'target_label'));
  });
  methods.set('clear', (params) => {
    checkArity(params, 1);
    host.clear();
    return true;
  });
  methods.set('get_config', (params) => {
    checkArity(params, 1);
    return host.model.configJson;
  });
  methods.set('save', (params) => {
    checkArity(params, 2);
    const path = modelFile(stringParam(params, 1, 'id'));
    host.saveCopy(path);
    return new Map<string, RpcValue>([[key, path]]);
  });
  methods.set('load', (params) => {
    checkArity(params, 2);
    host.load(modelFile(stringParam(params, 1, 'id')), true);
    return true;
  });
  methods.set('get_status', (params) => {
    checkArity(params, 1);
    const now = new Date();
    const mem = process.memoryUsage();
    const m = host.model;
    const status = new Map<string, RpcValue>([
      ['clock_time', String(Math.floor(now.getTime() / 1000))],
      ['start_time', String(Math.floor(startTime.getTime() / 1000))],
      ['uptime', String(Math.floor((now.getTime() - startTime.getTime()) / 1000))],
      ['RSS', String(Math.round(mem.rss / 1024))],
      ['threadnum', '1'],
      ['timeout', '0'],
      ['datadir', opts.dataDir],
      ['is_standalone', 'true'],
      ['VERSION', VERSION],
      ['PROGNAME', 'malgram'],
      ['type', 'classifier'],
      ['configpath', opts.configPath ?? ''],
      ['pid', String(process.pid)],
      ['user', userInfo().username],
      ['hostname', hostname()],
      ['update_count', String(host.updateCount)],
      ['last_saved', host.lastSaved ? String(Math.floor(host.lastSaved.time.getTime() / 1000)) : '0'],
      ['last_saved_path', host.lastSaved?.path ?? ''],
      ['last_loaded', host.lastLoaded ? String(Math.floor(host.lastLoaded.time.getTime() / 1000)) : '0'],
      ['last_loaded_path', host.lastLoaded?.path ?? ''],
      ['storage', 'local_storage'],
      ['num_features', String(m.numFeatures())],
      ['num_classes', String(m.labels().length)],
      ['method', m.method],
    ]);
    return new Map<string, RpcValue>([[key, status]]);
  });
  return methods;
}
