// Package browsertest starts headless Chromium for the browser tests of the widget, the consoles and the server
// (chromedp, Debian's chromium). It is test code: import it only from _test.go files.
package browsertest

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path returns the Chromium to drive (JOURNEYBOT_TEST_CHROMIUM, else /usr/bin/chromium), or skips the test saying
// how to get one.
func Path(t testing.TB) string {
	t.Helper()
	path := os.Getenv("JOURNEYBOT_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("skipping browser test: no Chromium at %s (Debian/Ubuntu: apt-get install chromium; or set "+
			"JOURNEYBOT_TEST_CHROMIUM to the browser's path)", path)
	}
	return path
}

// New starts headless Chromium with a fresh profile and a window of width × height, and returns a context for one
// tab; Cleanup closes the browser. It skips the test when there is no Chromium.
func New(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path(t)),
		chromedp.DisableGPU,
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), // removed after the browser exits: Cleanup runs last-registered first
		chromedp.WindowSize(width, height),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first call starts the browser and binds its life to ctx, so it gets no timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}
