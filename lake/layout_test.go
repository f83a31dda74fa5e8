package lake

import (
	"path/filepath"
	"strings"
	"testing"
)

// Every path Layout names lies inside the data folder, and no two name the same place.
func TestLayoutNamesEachPathOnce(t *testing.T) {
	l := Layout{Dir: filepath.Join("srv", "minsheng")}
	paths := map[string]string{
		"Inbox": l.Inbox(), "Archive": l.Archive(), "Lake": l.Lake(), "Quarantine": l.Quarantine(),
		"Reports": l.Reports(), "Manifest": l.Manifest(), "LockFile": l.LockFile(), "KeyFile": l.KeyFile(),
		"KeyCheck": l.KeyCheck(), "County": l.County(), "Tmp": l.Tmp(), "Warehouse": l.Warehouse(),
		"Current": l.Current(), "BuildLock": l.BuildLock(), "Accounts": l.Accounts(),
		"AccountsLock": l.AccountsLock(), "Audit": l.Audit(), "AuditLog": l.AuditLog(), "AuditLock": l.AuditLock(),
		"Notes": l.Notes(), "NotesLock": l.NotesLock(), "DemoAccounts": l.DemoAccounts(),
		"WarehouseFile": l.WarehouseFile("minsheng-x.duckdb"), "ArchivePath": l.ArchivePath("ab12", ".csv"),
		"File": l.File("lake/source=a/ingest_date=2024-11-01/x.parquet"),
	}
	seen := map[string]string{}
	for name, p := range paths {
		if !strings.HasPrefix(p, l.Dir+string(filepath.Separator)) {
			t.Errorf("%s = %s: outside %s", name, p, l.Dir)
		}
		if other, ok := seen[p]; ok {
			t.Errorf("%s and %s both name %s", name, other, p)
		}
		seen[p] = name
	}
	if l.Current() != filepath.Join(l.Dir, "warehouse", "CURRENT") || l.Tmp() != filepath.Join(l.Dir, "tmp") ||
		l.AuditLog() != filepath.Join(l.Dir, "audit", "audit.jsonl") || l.Notes() != filepath.Join(l.Dir, "notes", "notes.jsonl") ||
		l.Accounts() != filepath.Join(l.Dir, "accounts.json") {
		t.Errorf("a path moved: the data folders in use keep their layout")
	}
}
