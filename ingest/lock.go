package ingest

import (
	"errors"
	"os"
	"syscall"

	"github.com/minsheng/minsheng"
)

// fileLock is an advisory lock on the data folder: one ingest at a time. The kernel drops it when
// the process dies, so a killed ingest never leaves the folder locked.
type fileLock struct{ f *os.File }

func lockDir(path string, wait bool) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, minsheng.Errorf(minsheng.ECONFLICT, "另一个导入正在处理此数据目录,请稍后再试",
				"another ingest is running on this data folder; try again when it ends")
		}
		return nil, err
	}
	return &fileLock{f}, nil
}

func (l *fileLock) unlock() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
