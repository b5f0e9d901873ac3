// The training journal: every model change the server acknowledges (training batches, label
// changes, clear) is appended here and flushed to disk (fdatasync) *before* it is applied and
// acknowledged; on start the server loads the model file and replays the journal after it.
// Saving the model to its file is a checkpoint (`checkpoint()`), recorded in `<journal>.checkpoint`
// as {model_sha256, journal_bytes, fallback_bytes}: the model file with that hash already holds
// the first `journal_bytes` of the journal; any other model file (the previous one) holds the
// first `fallback_bytes`. The steps: model to a temp file, checkpoint file, rename the model into
// place, empty the journal, checkpoint file again. A crash at any point loses no acknowledged
// change and applies none twice; a torn last line (a crash during an append, so never
// acknowledged) is dropped on replay.

import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';

interface Checkpoint {
  model_sha256: string;
  journal_bytes: number;
  fallback_bytes: number;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export class TrainingJournal<Entry> {
  private fd: number;
  private size: number;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  /** Opens (creating when absent) the journal at `path`. */
  static open<Entry>(path: string): TrainingJournal<Entry> {
    return new TrainingJournal<Entry>(path, openSync(path, 'a+'));
  }

  private get checkpointPath(): string {
    return `${this.path}.checkpoint`;
  }

  /** How many journal bytes the model file at `modelPath` already holds (see the header). */
  private coveredBytes(modelPath: string): number {
    if (!existsSync(this.checkpointPath) || !existsSync(modelPath)) return 0;
    const cp = JSON.parse(readFileSync(this.checkpointPath, 'utf8')) as Partial<Checkpoint>;
    const covered = cp.model_sha256 === sha256File(modelPath) ? cp.journal_bytes : cp.fallback_bytes;
    // Longer than the journal: the crash came after emptying the journal.
    return typeof covered === 'number' && covered <= this.size ? covered : 0;
  }

  /**
   * The entries the model file at `modelPath` does not hold yet, in order. A torn last line
   * (a crash during an append, never acknowledged) is dropped and cut off the file.
   */
  pending(modelPath: string, onIssue: (message: string) => void): Entry[] {
    const covered = this.coveredBytes(modelPath);
    const text = readFileSync(this.path).subarray(covered).toString('utf8');
    const entries: Entry[] = [];
    let offset = covered;
    for (const line of text.split('\n')) {
      const lineBytes = Buffer.byteLength(line) + 1;
      if (line === '') {
        offset += lineBytes;
        continue;
      }
      if (offset + lineBytes > this.size) {
        onIssue(`${this.path}@${offset}: incomplete last entry (never acknowledged) dropped`);
        ftruncateSync(this.fd, offset);
        this.size = offset;
        break;
      }
      try {
        entries.push(JSON.parse(line) as Entry);
      } catch (err) {
        onIssue(`${this.path}@${offset}: unreadable entry skipped (${(err as Error).message})`);
      }
      offset += lineBytes;
    }
    return entries;
  }

  /** Appends one entry and waits until it is on disk. */
  append(entry: Entry): void {
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    let written = 0;
    while (written < line.length) written += writeSync(this.fd, line, written);
    fdatasyncSync(this.fd);
    this.size += line.length;
  }

  /** Bytes in the journal. */
  get bytes(): number {
    return this.size;
  }

  /** Saves the model (through `saveTo(path)`) to `modelPath` as holding the whole journal. */
  checkpoint(modelPath: string, saveTo: (path: string) => void): void {
    const fallback = this.coveredBytes(modelPath);
    const temp = `${modelPath}.${process.pid}.saving`;
    try {
      saveTo(temp);
      const hash = sha256File(temp);
      this.writeCheckpoint({ model_sha256: hash, journal_bytes: this.size, fallback_bytes: fallback });
      renameSync(temp, modelPath);
      ftruncateSync(this.fd, 0);
      fdatasyncSync(this.fd);
      this.size = 0;
      this.writeCheckpoint({ model_sha256: hash, journal_bytes: 0, fallback_bytes: 0 });
    } finally {
      rmSync(temp, { force: true });
    }
  }

  private writeCheckpoint(cp: Checkpoint): void {
    writeFileAtomic(this.checkpointPath, JSON.stringify(cp));
  }

  close(): void {
    closeSync(this.fd);
  }
}
