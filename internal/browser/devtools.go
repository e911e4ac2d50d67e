package browser

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Session starts a headless Chromium driven over the DevTools protocol (chromedp)
// with a window of width×height, in a profile of its own, and returns a context for
// chromedp actions; the browser ends with the test. It skips the test without
// Chromium (fails it under CHAINRISK_REQUIRE_TOOLS=1).
func Session(t testing.TB, width, height int) context.Context {
	t.Helper()
	bin := Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first run starts the browser, which lives as long as this context: no
	// timeout here (a step's own timeout derives from ctx).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start chromium over the DevTools protocol: %v", err)
	}
	return ctx
}

// Screenshot saves the current page of a Session as a PNG at path (its directory is
// created) and returns the path.
func Screenshot(ctx context.Context, t testing.TB, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", path, err)
		return ""
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
