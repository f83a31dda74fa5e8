package warehouse_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/warehouse"
)

// TestOpenLocked: while another process holds the warehouse file for writing, Open says so in
// words a person can act on. DuckDB's file lock is per process, so the holder is this test
// binary run again as a helper.
func TestOpenLocked(t *testing.T) {
	if path := os.Getenv("MINSHENG_TEST_HOLD_WAREHOUSE"); path != "" {
		holdWarehouse(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a helper process")
	}
	dir, _ := readHand(t)
	name, err := os.ReadFile(filepath.Join(dir, "warehouse", "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenLocked$")
	cmd.Env = append(os.Environ(), "MINSHENG_TEST_HOLD_WAREHOUSE="+filepath.Join(dir, "warehouse", strings.TrimSpace(string(name))))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // the helper lets go when its stdin closes
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "holding" {
		t.Fatalf("helper: %q %v", line, err)
	}
	db, err := warehouse.Open(dir)
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded while another process holds the file")
	}
	t.Logf("Open: %v", err)
	if minsheng.ErrorCode(err) != minsheng.ECONFLICT || !strings.Contains(minsheng.ErrorMessage(err), "already running") {
		t.Errorf("Open: %v; want a conflict asking whether minsheng is already running", err)
	}
}

// holdWarehouse opens the file read-write, says so, and holds it until stdin closes.
func holdWarehouse(path string) {
	db, err := sql.Open("duckdb", path)
	if err == nil {
		_, err = db.Exec("select 1")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("holding")
	bufio.NewReader(os.Stdin).ReadString('\n')
	db.Close()
	os.Exit(0)
}
