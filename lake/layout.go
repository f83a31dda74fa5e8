package lake

import "path/filepath"

// Layout names every path of a data folder, so that each is spelled once:
//
//	DIR/inbox/<source>/<file>                       what lead units drop (Inbox)
//	DIR/archive/<sha[:2]>/<sha256><ext>             every original, mode 0600: the only place with clear PII (ArchivePath)
//	DIR/lake/source=<s>/ingest_date=<d>/<sha>.parquet          landed rows, pseudonymised (Lake, Partition)
//	DIR/quarantine/source=<s>/ingest_date=<d>/<sha>.parquet    rejected cells, masked (Quarantine)
//	DIR/reports/<sha256>-<time>.json                one ingest report per file handled (ReportPath)
//	DIR/manifest.jsonl                              one line per file handled: the commit point (Manifest)
//	DIR/.ingest.lock                                one ingest at a time (LockFile)
//	DIR/pii.key                                     the demo's pseudonym key, mode 0600 (KeyFile; a county sets MINSHENG_PII_KEY or _FILE)
//	DIR/pii.key.check                               the key's check: another key is refused (KeyCheck)
//	DIR/.rekey-<time>/                              a key rotation's staging folder (ingest/rekey.go)
//	DIR/county.csv                                  the county profile, when the folder has its own (County)
//	DIR/tmp/                                        uploads while they stream in, removed at every start (Tmp)
//	DIR/warehouse/minsheng-<time>.duckdb            the derived DuckDB files (Warehouse, WarehouseFile)
//	DIR/warehouse/CURRENT                           the name of the one being served (Current)
//	DIR/warehouse/.build.lock                       one build (or key rotation) at a time (BuildLock)
//	DIR/accounts.json, DIR/.accounts.lock           people and API tokens, and the lock of their writers (Accounts, AccountsLock)
//	DIR/audit/audit.jsonl                           the audit log of this month (AuditLog); past months beside it in Audit
//	DIR/audit/.audit.lock                           the lock of the audit's appenders (AuditLock)
//	DIR/notes/notes.jsonl, DIR/notes/.notes.lock    the lead units' progress notes and their lock (Notes, NotesLock)
//	DIR/demo-accounts.txt                           the demo's accounts and passwords, mode 0600 (DemoAccounts)
type Layout struct{ Dir string }

func (l Layout) Inbox() string      { return filepath.Join(l.Dir, "inbox") }
func (l Layout) Archive() string    { return filepath.Join(l.Dir, "archive") }
func (l Layout) Lake() string       { return filepath.Join(l.Dir, "lake") }
func (l Layout) Quarantine() string { return filepath.Join(l.Dir, "quarantine") }
func (l Layout) Reports() string    { return filepath.Join(l.Dir, "reports") }
func (l Layout) Manifest() string   { return filepath.Join(l.Dir, "manifest.jsonl") }
func (l Layout) LockFile() string   { return filepath.Join(l.Dir, ".ingest.lock") }
func (l Layout) KeyFile() string    { return filepath.Join(l.Dir, "pii.key") }
func (l Layout) KeyCheck() string   { return filepath.Join(l.Dir, "pii.key.check") }
func (l Layout) County() string     { return filepath.Join(l.Dir, "county.csv") }
func (l Layout) Tmp() string        { return filepath.Join(l.Dir, "tmp") }

func (l Layout) Warehouse() string                { return filepath.Join(l.Dir, "warehouse") }
func (l Layout) WarehouseFile(name string) string { return filepath.Join(l.Warehouse(), name) }
func (l Layout) Current() string                  { return filepath.Join(l.Warehouse(), "CURRENT") }
func (l Layout) BuildLock() string                { return filepath.Join(l.Warehouse(), ".build.lock") }

func (l Layout) Accounts() string     { return filepath.Join(l.Dir, "accounts.json") }
func (l Layout) AccountsLock() string { return filepath.Join(l.Dir, ".accounts.lock") }
func (l Layout) Audit() string        { return filepath.Join(l.Dir, "audit") }
func (l Layout) AuditLog() string     { return filepath.Join(l.Audit(), "audit.jsonl") }
func (l Layout) AuditLock() string    { return filepath.Join(l.Audit(), ".audit.lock") }
func (l Layout) Notes() string        { return filepath.Join(l.Dir, "notes", "notes.jsonl") }
func (l Layout) NotesLock() string    { return filepath.Join(l.Dir, "notes", ".notes.lock") }
func (l Layout) DemoAccounts() string { return filepath.Join(l.Dir, "demo-accounts.txt") }

// File is a file the manifest names (Entry.LakeFile, Entry.QuarantineFile): slash-separated and
// relative to the data folder, as written there.
func (l Layout) File(rel string) string { return filepath.Join(l.Dir, filepath.FromSlash(rel)) }

// ArchivePath is where the original with this SHA-256 is kept.
func (l Layout) ArchivePath(sha, ext string) string {
	return filepath.Join(l.Archive(), sha[:2], sha+ext)
}
