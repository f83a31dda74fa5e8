package uploads_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minsheng/minsheng/audit"
	"github.com/minsheng/minsheng/internal/handlake"
	"github.com/minsheng/minsheng/pipeline"
	"github.com/minsheng/minsheng/uploads"
)

// A server killed while an upload streams in leaves the clear original in DIR/tmp; the next
// start removes it, however new it is (before, only files an hour old went). The upload is sent
// by a real client process, and the receiving process is the test binary itself, killed with
// SIGKILL mid-stream.
func TestUploadLeftByAKillIsRemovedAtStart(t *testing.T) {
	if os.Getenv("MINSHENG_UPLOAD_CHILD") != "" {
		return // the child half: see uploadChild
	}
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(os.Args[0], "-test.run=^TestUploadChild$", "-test.v")
	cmd.Env = append(os.Environ(), "MINSHENG_UPLOAD_CHILD="+dir, "TMPDIR="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// the child serves an upload that streams forever; once its partial file is there, kill it
	var left []string
	for i := 0; i < 3000 && len(left) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
		left, _ = filepath.Glob(filepath.Join(dir, "tmp", "upload-*.partial"))
	}
	t.Logf("killed the receiving server with %v in DIR/tmp", left)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(left) == 0 {
		t.Fatal("the child never began receiving the upload")
	}
	cfg := handlake.Config(t, dir)
	p, err := pipeline.New(pipeline.Config{Dir: dir, Registry: cfg.Registry, County: cfg.County, Plans: cfg.Plans, Key: handlake.Key})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	log, err := audit.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uploads.New(uploads.Config{Dir: dir, Registry: cfg.Registry, Pipeline: p, Audit: log}); err != nil {
		t.Fatal(err)
	}
	if now, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(now) != 0 {
		t.Errorf("left after the restart: %v", now)
	}
}

// TestUploadChild is the killed server of TestUploadLeftByAKillIsRemovedAtStart.
func TestUploadChild(t *testing.T) {
	dir := os.Getenv("MINSHENG_UPLOAD_CHILD")
	if dir == "" {
		t.Skip("run by TestUploadLeftByAKillIsRemovedAtStart")
	}
	e := newEnvAt(t, dir, 1<<40)
	header := "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nX-Test-As: union\r\nContent-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n"
	e.rawPost(t, header, func(w io.Writer) error {
		chunk := func(s string) error {
			_, err := fmt.Fprintf(w, "%x\r\n%s\r\n", len(s), s)
			return err
		}
		chunk("--B\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nworker_aid\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n")
		for {
			if err := chunk(strings.Repeat("张三,34082619900101001X,松兹街道\r\n", 100)); err != nil {
				return err
			}
			if f, ok := w.(interface{ Flush() error }); ok {
				f.Flush()
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
