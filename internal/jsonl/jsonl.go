// Package jsonl keeps the append-only files of JSON lines that live beside the lake (the audit
// log, the progress notes): appends that survive a crash and a reader that skips what a crash
// left. An entry is committed once its line, newline included, is synced. A crash mid-append
// leaves a last line without its newline: Read skips it, and the next Append cuts it off first,
// so every entry starts on its own line.
package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Lock takes the advisory lock of lockPath (created 0600 if missing), waiting while another
// holder (a goroutine with its own open file, or another process) has it. The kernel drops it if
// the process dies.
func Lock(lockPath string) (unlock func(), err error) {
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// Append cuts a torn last line off the file at path (created 0600), then appends line, which
// must end in a newline, and syncs. The caller holds the file's Lock.
func Append(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if st.Size() == 0 {
		syncDir(filepath.Dir(path)) // a new file: its name must survive a crash too
	}
	if err := repairTail(f, st.Size()); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Read calls each with every whole line of the file at path, in order; a last line without its
// newline (torn, or nothing) is not a line. A missing file has no lines.
func Read(path string, each func(line []byte)) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		each(line)
	}
}

// repairTail cuts what follows the last newline of a file of size bytes: the remains of an append
// a crash interrupted. It reads backwards, so a long file is not read whole.
func repairTail(f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	buf := make([]byte, 4096)
	end := size
	for end > 0 {
		n := min(int64(len(buf)), end)
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return err
		}
		if end == size && buf[n-1] == '\n' {
			return nil // the usual case: nothing torn
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return truncate(f, end-n+int64(i)+1)
		}
		end -= n
	}
	return truncate(f, 0)
}

func truncate(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
