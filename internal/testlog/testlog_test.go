package testlog

import (
	"log/slog"
	"sync"
	"testing"
)

func TestBufferConcurrent(t *testing.T) {
	log, b := Text(slog.LevelDebug)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				log.Debug("tick", "worker", i)
				_ = b.Contains("tick")
			}
		})
	}
	wg.Wait()
	if n := b.Count("level=DEBUG", `msg=tick`); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	if n := b.Count("worker=3"); n != 100 {
		t.Errorf("%d lines of worker 3, want 100", n)
	}
	if !b.Contains("worker=7") || b.Contains("worker=8") {
		t.Errorf("Contains: %q", b.String())
	}
}

func TestJSONLevel(t *testing.T) {
	log, b := JSON(slog.LevelInfo)
	log.Debug("hidden")
	log.Info("shown", "k", "v")
	if b.Contains("hidden") || b.Count(`"msg":"shown"`, `"k":"v"`) != 1 {
		t.Errorf("log: %q", b.String())
	}
}
