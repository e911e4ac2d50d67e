package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the lock file inside a data directory. It holds the owner's pid; the
// kernel releases the flock when the owner dies, so a stale file never blocks.
const LockName = "chainrisk.lock"

type dirLock struct{ f *os.File }

func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(holder))
			if pid == "" {
				pid = "unknown"
			}
			return nil, fmt.Errorf("data directory %s is in use by another chainriskd (pid %s); "+
				"the embedded store serves one process: stop it, or use PostgreSQL for several replicas", dir, pid)
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		_ = f.Sync()
	}
	return &dirLock{f: f}, nil
}

// Holder names the live process that holds the lock of the database's directory,
// or "" when none seems to. It reads the pid the holder wrote and checks that such a
// process exists, without taking the lock itself: a daemon starting at that moment
// must not find it taken. A holder in another PID namespace (a container) may be
// missed.
func (s *Store) Holder(context.Context) (string, error) {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(s.d.path), LockName))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the data directory's lock: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return "", nil // released (emptied) or never written
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return "", nil // the holder died without releasing it (kill -9)
	}
	return fmt.Sprintf("chainriskd (pid %d)", pid), nil
}

func (l *dirLock) release() error {
	_ = l.f.Truncate(0)
	return l.f.Close()
}
