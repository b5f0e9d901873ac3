// The sample store's SQLite schema (one file, WAL). Unit = one analysis (one run of one file),
// unique by `origin`. Per-process API sequences are stored compactly: API names and categories
// interned to integer ids, sequences as varint BLOBs, timestamps as Float64 LE BLOBs, and the
// arguments/returns (when the reader kept them) as one gzip-compressed JSON BLOB per process.
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS apis (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS analyses (
  id INTEGER PRIMARY KEY,
  origin TEXT NOT NULL UNIQUE,      -- report content hash, or data-set hash + row/line
  sample_id TEXT NOT NULL,          -- sha256 where known, else the input's own id
  label TEXT,
  time TEXT,                        -- ISO-8601 analysis time
  source TEXT,
  format TEXT NOT NULL,
  input_path TEXT,                  -- the path it was ingested from (informative)
  vt_positives INTEGER,             -- VirusTotal engines flagging it / scanning it
  vt_total INTEGER,
  processes INTEGER NOT NULL,
  calls INTEGER NOT NULL,           -- call records
  calls_expanded INTEGER NOT NULL,  -- with 'repeated' expanded
  duration_s REAL,                  -- last - first call timestamp; NULL without timestamps
  ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS analyses_sample ON analyses(sample_id);
CREATE INDEX IF NOT EXISTS analyses_label ON analyses(label);
CREATE TABLE IF NOT EXISTS processes (
  analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,             -- order within the analysis
  pid INTEGER NOT NULL,
  ppid INTEGER,
  name TEXT,
  path TEXT,
  command_line TEXT,
  first_seen REAL,
  api_ids BLOB NOT NULL,            -- varint per call: apis.id
  category_ids BLOB,                -- varint per call: categories.id, 0 = none; NULL when none at all
  repeated BLOB,                    -- varint per call; NULL when nothing was collapsed
  ts BLOB,                          -- Float64 LE per call, NaN = none; NULL without timestamps
  details BLOB,                     -- gzip JSON, per call [args entries, ret, status, tid]; NULL when none
  PRIMARY KEY (analysis_id, seq)
);
`;
