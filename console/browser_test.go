package console_test

// The browser test drives the console in headless Chromium: it signs in, opens a conversation whose customer wrote
// HTML, and checks that the page shows it as text, that the page runs under its CSP without violations, and that
// htmx's live updates and the reply form work.

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/journeybot/journeybot/internal/browsertest"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

// browserWait bounds each browser step and each poll; a deadline against hangs, not a speed claim.
const browserWait = 30 * time.Second

// newBrowser starts headless Chromium for one test (browsertest.New), or skips the test when there is none, with
// the console and runtime events on.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx := browsertest.New(t, 1280, 900)
	// Log and Runtime report CSP violations and uncaught exceptions.
	for _, cmd := range []cdp.Command[cdp.Empty, cdp.Empty]{log.Enable, runtime.Enable} {
		if _, err := chromedp.Call(ctx, cmd, cdp.Empty{}); err != nil {
			t.Fatalf("enable %s: %v", cmd.Method, err)
		}
	}
	return ctx
}

// run runs actions in the tab with a deadline.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// evalJS evaluates a JavaScript expression with a deadline.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pollJS evaluates expr until it is true.
func pollJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	for !evalJS[bool](t, ctx, expr) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, browserWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// artifactDir is where the test leaves its screenshot: $JOURNEYBOT_ARTIFACTS when set, else the test's temp dir.
func artifactDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("JOURNEYBOT_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

func TestBrowserConversation(t *testing.T) {
	// Plain HTTP on 127.0.0.1: the cookies cannot be Secure here.
	f := newFixtureWith(t, func(o *console.Options) { o.SecureCookies = false })
	f.seed("conv-1", journeystate.OwnerAgent, f.ids[agentEmail])
	srv := httptest.NewServer(f.mux)
	// Cleanups run last first: the browser closes, the console ends its event streams, then the server stops.
	t.Cleanup(srv.Close)
	t.Cleanup(f.console.Close)
	ctx := newBrowser(t)

	var mu sync.Mutex
	var dialogs, problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			dialogs = append(dialogs, ev.Message)
			// Dismiss it off the event loop (Listen's fn must not run commands).
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		case *log.EventEntryAdded:
			if strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
				break // the browser asks for it on its own; the console has none
			}
			if ev.Entry.Level == log.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				problems = append(problems, ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, ev.ExceptionDetails.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	run(t, ctx, "sign in",
		chromedp.Navigate(srv.URL+"/console/login"),
		chromedp.SendKeys(chromedp.ID("email"), agentEmail),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("lists")),
	)
	run(t, ctx, "open the conversation",
		chromedp.Click(chromedp.CSS(`a[href="/console/conversations/conv-1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="log"]`)),
	)
	pollJS(t, ctx, "htmx and its SSE extension load", `!!(window.htmx && htmx.version)`)

	if got := evalJS[string](t, ctx, `document.querySelector('[role="log"] article[aria-label="Customer Jane Doe"] .text').textContent`); got != xss {
		t.Errorf("customer message shown as %q, want the literal text %q", got, xss)
	}
	if got := evalJS[string](t, ctx, `document.querySelector('.packet .summary').textContent`); got != xss {
		t.Errorf("summary shown as %q, want the literal text %q", got, xss)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("the page has %d img elements, want none", n)
	}

	// A message stored by the engine comes in through the event stream (or the 10 s poll).
	f.records.mu.Lock()
	f.records.messages["conv-1"] = append(f.records.messages["conv-1"], journeystate.Message{ConversationID: "conv-1",
		Author: journeystate.ActorCustomer, Text: "Are you still there?", CreatedAt: f.clock()})
	f.records.mu.Unlock()
	f.desk.Publish(channels.Update{Kind: channels.UpdateMessage, Conversation: journeystate.Conversation{ID: "conv-1"}})
	pollJS(t, ctx, "the new message appears", `document.getElementById('transcript').textContent.includes('Are you still there?')`)

	// A canned reply goes into the reply box; the agent sends it with the keyboard-reachable button.
	run(t, ctx, "send a canned reply",
		chromedp.Click(chromedp.CSS(`button[data-canned]`)),
		chromedp.SendKeys(chromedp.ID("reply-text"), " Give me a minute."),
		chromedp.Click(chromedp.CSS(`#reply-form button[type="submit"]`)),
	)
	pollJS(t, ctx, "the reply appears in the transcript",
		`document.getElementById('transcript').textContent.includes("Hello! I'm looking into it. Give me a minute.")`)
	pollJS(t, ctx, "the reply box is empty again", `document.getElementById('reply-text').value === ''`)
	deadline := time.Now().Add(browserWait)
	for !strings.Contains(strings.Join(f.desk.Calls(), "\n"), "typing conv-1 by "+f.ids[agentEmail]+" true") {
		if time.Now().After(deadline) {
			t.Fatalf("no typing reported; desk calls %q", f.desk.Calls())
		}
		time.Sleep(50 * time.Millisecond)
	}

	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	shot, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	file := filepath.Join(artifactDir(t), "console-conversation.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)

	mu.Lock()
	defer mu.Unlock()
	if len(dialogs) > 0 {
		t.Errorf("dialogs opened: %q", dialogs)
	}
	if len(problems) > 0 {
		t.Errorf("the page logged errors (CSP violations?): %q", problems)
	}
}
