package console_test

// The manager pages in headless Chromium: the dashboard's, the journeys page's charts draw under the CSP, and a
// transcript shows customer text as text. Screenshots are kept as test artefacts.

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/journeybot/journeybot/console"
)

func TestBrowserManagerPages(t *testing.T) {
	f, rep := newManagerFixture(t, func(o *console.Options) { o.SecureCookies = false })
	seedTranscripts(f, rep)
	seedTimeline(f, rep)
	seedJourneys(f, rep)
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)
	t.Cleanup(f.console.Close)
	ctx := newBrowser(t)

	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			if strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
				break
			}
			if ev.Entry.Level == log.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				problems = append(problems, ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, ev.ExceptionDetails.Text+" "+ev.ExceptionDetails.Exception.Description)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, "console."+string(ev.Type))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "sign in",
		chromedp.Navigate(srv.URL+"/console/login"),
		chromedp.SendKeys(chromedp.ID("email"), bossEmail),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("lists")),
	)
	dir := artifactDir(t)
	shot := func(name string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, browserWait)
		defer cancel()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", file)
	}
	// drawn is true when every chart container holds a canvas or an svg that the chart drew.
	const drawn = `(() => { const cs = document.querySelectorAll('.chart[data-chart]');
		return cs.length > 0 && [...cs].every(c => c.getAttribute('data-drawn') === 'true' && c.querySelector('canvas, svg')); })()`

	run(t, ctx, "open the dashboard", chromedp.Navigate(srv.URL+"/console/manager"), chromedp.WaitVisible(chromedp.CSS(".tiles")))
	pollJS(t, ctx, "the dashboard's charts draw", drawn)
	if n := evalJS[int](t, ctx, `document.querySelectorAll('.chart[role="img"][aria-label]').length`); n != 2 {
		t.Errorf("%d labelled charts on the dashboard, want 2", n)
	}
	shot("dashboard.png")

	run(t, ctx, "open the journeys", chromedp.Navigate(srv.URL+"/console/journeys"), chromedp.WaitVisible(chromedp.ID("flow-heading")))
	pollJS(t, ctx, "the journeys' charts draw", drawn)
	if n := evalJS[int](t, ctx, `document.querySelectorAll('.chart[data-chart]').length`); n != 3 {
		t.Errorf("%d charts on the journeys page, want 3 (Sankey, graph, fall-out)", n)
	}
	shot("journeys.png")

	run(t, ctx, "open a transcript", chromedp.Navigate(srv.URL+"/console/transcripts/conv-b"), chromedp.WaitVisible(chromedp.ID("timeline-heading")))
	if got := evalJS[bool](t, ctx, `[...document.querySelectorAll('ol.tl .text')].some(e => e.textContent === 'Where is my order? `+xss+`')`); !got {
		t.Error("the customer's message is not shown as its literal text")
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("the transcript has %d img elements, want none", n)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('script[src*="echarts"]').length`); n != 0 {
		t.Errorf("the transcript loads the chart library")
	}
	shot("transcript.png")

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the pages logged errors (CSP violations?): %q", problems)
	}
}
