package main

// Browser tests drive the widget on the demo page in headless Chromium, the way a person with a screen reader would
// find it: by accessible role and name (the widget lives in an open Shadow DOM, which the accessibility tree
// flattens). They read the conversation through the role="log" element, whose messages carry data-author.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"github.com/google/go-cmp/cmp"
	"github.com/journeybot/journeybot/internal/browsertest"
	"github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm/llmtest"
)

// browserWait bounds each browser step; a deadline against hangs, not a speed claim.
const browserWait = 30 * time.Second

// chromiumPath returns the browser to drive, or skips the test saying how to get one.
func chromiumPath(t *testing.T) string { return browsertest.Path(t) }

// newBrowser starts headless Chromium with a fresh profile and returns a context for one tab; Cleanup closes it.
func newBrowser(t *testing.T) context.Context { return browsertest.New(t, 1100, 800) }

// do runs browser steps with a deadline.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// byRole finds elements by computed accessible role and name, through the accessibility tree (which reaches into
// shadow roots). Nodes ignored for accessibility, such as those in a hidden panel, do not count.
func byRole(role, name string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
			NodeID: n.NodeID, AccessibleName: name, Role: role,
		})
		if err != nil {
			return nil, err
		}
		var backend []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 {
				backend = append(backend, ax.BackendDOMNodeID)
			}
		}
		if len(backend) == 0 {
			return nil, nil
		}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend,
			dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		if err != nil {
			return nil, err
		}
		return pushed.NodeIDs, nil
	})
}

// role is the label of a byRole query in error messages.
func role(r, name string) string { return fmt.Sprintf("%s %q", r, name) }

// logEntry is one message of the widget's conversation log as shown.
type logEntry struct {
	Author string `json:"author"`
	Status string `json:"status"`
	Text   string `json:"text"`
}

// findJS defines find(selector): the first element matching selector in the page or in any open shadow root.
const findJS = `const find = (sel, root = document) => {
  const hit = root.querySelector(sel);
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const f = find(sel, el.shadowRoot); if (f) return f; }
  }
  return null;
};`

// readLogJS returns the messages of the widget's role="log" element.
const readLogJS = `(() => {` + findJS + `
  const log = find('[role="log"]');
  if (!log) return [];
  return [...log.querySelectorAll('[data-author]')].map((m) => ({
    author: m.getAttribute('data-author'),
    status: m.getAttribute('data-status') || '',
    text: (m.querySelector('.bubble') || m).textContent,
  }));
})()`

// watchStreamJS records each new text of a bot message that is still streaming, in window.__jbGrowth.
const watchStreamJS = `(() => {` + findJS + `
  const log = find('[role="log"]');
  if (!log) throw new Error('no conversation log');
  const growth = window.__jbGrowth = [];
  new MutationObserver(() => {
    const streaming = log.querySelectorAll('[data-author="bot"][data-status="streaming"]');
    if (!streaming.length) return;
    const m = streaming[streaming.length - 1];
    const text = (m.querySelector('.bubble') || m).textContent;
    if (growth[growth.length - 1] !== text) growth.push(text);
  }).observe(log, {subtree: true, childList: true, characterData: true, attributes: true});
  return true;
})()`

// statusJS returns the text of the widget's role="status" line (in the widget, not the host page's own).
const statusJS = `(() => {` + findJS + `
  const host = document.getElementById('journeybot-widget');
  const st = host && host.shadowRoot ? find('[role="status"]', host.shadowRoot) : null;
  return st ? st.textContent : '';
})()`

func readLog(t *testing.T, ctx context.Context) []logEntry {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	entries, err := chromedp.Run(sctx, chromedp.Evaluate[[]logEntry](readLogJS))
	if err != nil {
		t.Fatalf("read the conversation log: %v", err)
	}
	return entries
}

// waitLog polls the conversation log until cond holds, and returns it.
func waitLog(t *testing.T, ctx context.Context, what string, cond func([]logEntry) bool) []logEntry {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	for {
		entries := readLog(t, ctx)
		if cond(entries) {
			return entries
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; log: %+v", what, browserWait, entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answered reports whether the log shows question as sent, followed by a finished bot reply.
func answered(question string) func([]logEntry) bool {
	return func(entries []logEntry) bool {
		for i, e := range entries {
			if e.Author == "customer" && e.Text == question && e.Status == "sent" {
				for _, r := range entries[i+1:] {
					if r.Author == "bot" && r.Status == "sent" && strings.TrimSpace(r.Text) != "" {
						return true
					}
				}
			}
		}
		return false
	}
}

// openChat clicks the launcher and waits for the message box.
func openChat(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "open the chat",
		chromedp.Click(role("button", "Open chat"), byRole("button", "Open chat")),
		chromedp.WaitVisible(role("textbox", "Message"), byRole("textbox", "Message")),
	)
}

// ask types a question and presses Send.
func ask(t *testing.T, ctx context.Context, question string) {
	t.Helper()
	do(t, ctx, "ask "+question,
		chromedp.SendKeys(role("textbox", "Message"), question, byRole("textbox", "Message")),
		chromedp.Click(role("button", "Send"), byRole("button", "Send")),
	)
}

// visitorID reads the widget's visitor id from localStorage.
func visitorID(t *testing.T, ctx context.Context, s *testServer) string {
	t.Helper()
	key := "journeybot:" + s.URL() + ":visitor"
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	id, err := chromedp.Run(sctx, chromedp.Evaluate[string](fmt.Sprintf("localStorage.getItem(%q) || ''", key)))
	if err != nil || id == "" {
		t.Fatalf("visitor id in localStorage[%q]: got %q, %v", key, id, err)
	}
	return id
}

// storedMessages returns the visitor's messages as the store has them.
func storedMessages(t *testing.T, s *testServer, visitor string) []logEntry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, msgs, err := s.Engine.History(ctx, "web", visitor, visitor, 0, 100)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	out := make([]logEntry, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, logEntry{Author: string(m.Author), Status: "sent", Text: m.Text})
	}
	return out
}

// screenshot saves a PNG of the page under the artefacts folder and logs its path.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("JOURNEYBOT_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoDir(t), "testdata-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artefacts folder: %v", err)
	}
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
}

// evaluate runs a JavaScript expression with a deadline and decodes its value.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return v
}

// TestBrowserWidgetOffline asks the offline responder through the widget, then reloads the page and finds the
// conversation again.
func TestBrowserWidgetOffline(t *testing.T) {
	s := startServer(t, testConfig(t))
	ctx := newBrowser(t)
	do(t, ctx, "load the demo page", chromedp.Navigate(s.URL()+"/"))
	openChat(t, ctx)

	const question = "How long does shipping take?"
	ask(t, ctx, question)
	shown := waitLog(t, ctx, "the answer", answered(question))
	stored := storedMessages(t, s, visitorID(t, ctx, s))
	if len(stored) != 2 {
		t.Fatalf("stored messages: got %+v, want the question and its answer", stored)
	}
	if diff := cmp.Diff(stored, shown); diff != "" {
		t.Errorf("conversation shown vs stored (-stored +shown):\n%s", diff)
	}
	screenshot(t, ctx, "widget-offline-answer")

	do(t, ctx, "reload the page", chromedp.Reload())
	openChat(t, ctx)
	restored := waitLog(t, ctx, "the conversation after reload", answered(question))
	if diff := cmp.Diff(stored, restored); diff != "" {
		t.Errorf("conversation after reload (-stored +shown):\n%s", diff)
	}
	screenshot(t, ctx, "widget-after-reload")
}

// TestBrowserWidgetStreaming checks that a model's answer visibly grows in the widget before the final message.
func TestBrowserWidgetStreaming(t *testing.T) {
	cfg, _ := modelConfig(t, llmtest.Options{
		Respond: func(openai.ChatCompletionRequest) llmtest.Reply {
			return llmtest.Reply{Text: modelAnswer, ChunkDelay: 100 * time.Millisecond}
		},
	})
	s := startServer(t, cfg)
	ctx := newBrowser(t)
	do(t, ctx, "load the demo page", chromedp.Navigate(s.URL()+"/"))
	openChat(t, ctx)
	evaluate[bool](t, ctx, watchStreamJS)

	const question = "How long does shipping take?"
	ask(t, ctx, question)
	pollUntil(t, browserWait, "the reply starts streaming", func() bool {
		return evaluate[int](t, ctx, "window.__jbGrowth.length") >= 3
	})
	screenshot(t, ctx, "widget-model-streaming") // usually mid-stream; not asserted, the answer may be done
	shown := waitLog(t, ctx, "the final answer", answered(question))
	if last := shown[len(shown)-1]; last.Author != "bot" || last.Text != modelAnswer {
		t.Errorf("final message: got %+v, want the bot saying %q", last, modelAnswer)
	}
	growth := evaluate[[]string](t, ctx, "window.__jbGrowth")
	if len(growth) < 3 {
		t.Fatalf("the streaming reply was seen with %d texts %q, want it to grow over at least 3", len(growth), growth)
	}
	for i, text := range growth {
		if !strings.HasPrefix(modelAnswer, text) {
			t.Errorf("streamed text %d %q is not a beginning of the answer", i, text)
		}
		if i > 0 && len(text) <= len(growth[i-1]) {
			t.Errorf("streamed text %d %q does not extend %q", i, text, growth[i-1])
		}
	}
	screenshot(t, ctx, "widget-model-streamed")
}

// TestBrowserWidgetPendingWhileServerDown sends a message while the server is stopped: the widget shows it as
// pending and delivers it once the server is back on the same address and store.
func TestBrowserWidgetPendingWhileServerDown(t *testing.T) {
	cfg := testConfig(t)
	s := startServer(t, cfg)
	ctx := newBrowser(t)
	do(t, ctx, "load the demo page", chromedp.Navigate(s.URL()+"/"))
	openChat(t, ctx)
	const first = "How long does shipping take?"
	ask(t, ctx, first)
	waitLog(t, ctx, "the first answer", answered(first))
	visitor := visitorID(t, ctx, s)

	addr := s.Addr()
	if err := s.close(); err != nil {
		t.Fatalf("stop the server: %v", err)
	}
	deadline := time.Now().Add(browserWait)
	for st := ""; !strings.Contains(st, "Offline") && !strings.Contains(st, "Reconnecting"); {
		if time.Now().After(deadline) {
			t.Fatalf("status line while the server is down: got %q, want it to say offline or reconnecting", st)
		}
		time.Sleep(50 * time.Millisecond)
		st = evaluate[string](t, ctx, statusJS)
	}

	const second = "Do you ship to Canada?"
	ask(t, ctx, second)
	waitLog(t, ctx, "the message shown as pending", func(entries []logEntry) bool {
		last := entries[len(entries)-1]
		return last.Author == "customer" && last.Text == second && last.Status == "sending"
	})
	screenshot(t, ctx, "widget-pending-offline")

	cfg.Server.Addr = addr
	s2 := startServer(t, cfg)
	shown := waitLog(t, ctx, "the pending message delivered and answered", answered(second))
	stored := storedMessages(t, s2, visitor)
	if diff := cmp.Diff(stored, shown); diff != "" {
		t.Errorf("conversation shown vs stored (-stored +shown):\n%s", diff)
	}
	var n int
	for _, m := range stored {
		if m.Author == "customer" && m.Text == second {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the pending message is stored %d times, want once", n)
	}
}
