package webchat

// Browser tests drive widget.js in headless Chromium against a Hub with a fake engine, so that the test controls
// exactly what the server sends. They reach into the widget's open shadow root with JavaScript.

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeybot/journeybot/internal/browsertest"
)

// browserWait bounds each browser step and each poll; a deadline against hangs, not a speed claim.
const browserWait = 30 * time.Second

// newBrowser starts headless Chromium for one test (browsertest.New), or skips the test when there is none.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t, 800, 600)
}

// navigate loads url in the tab.
func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
}

// widgetJS defines w(sel): the first element matching sel in the widget's shadow root, or null.
const widgetJS = `const w = (sel) => {
  const host = document.getElementById('journeybot-widget');
  return host && host.shadowRoot ? host.shadowRoot.querySelector(sel) : null;
};`

// js evaluates a JavaScript expression that may use w(sel), with a deadline, and decodes its value.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T]("(() => {"+widgetJS+"\nreturn "+expr+";\n})()"))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pollJS evaluates expr until it is true.
func pollJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(browserWait)
	for !js[bool](t, ctx, expr) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; log: %+v", what, browserWait, widgetLog(t, ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shown is one message of the widget's log as shown.
type shown struct {
	Author string `json:"author"`
	Status string `json:"status"`
	Text   string `json:"text"`
	Note   string `json:"note"`
}

func widgetLog(t *testing.T, ctx context.Context) []shown {
	t.Helper()
	return js[[]shown](t, ctx, `[...(w('[role="log"]') || {querySelectorAll: () => []}).querySelectorAll('.msg')].map((m) => ({
  author: m.getAttribute('data-author'), status: m.getAttribute('data-status') || '',
  text: m.querySelector('.bubble').textContent, note: (m.querySelector('.note') || {}).textContent || '',
}))`)
}

// openWidget opens the chat and waits until the server's welcome has been taken (the visitor id is stored); it
// returns the visitor id. origin is the origin the widget's script came from.
func openWidget(t *testing.T, ctx context.Context, origin string) string {
	t.Helper()
	js[bool](t, ctx, `(w('.launcher').click(), true)`)
	key := fmt.Sprintf("%q", "journeybot:"+origin+":visitor")
	pollJS(t, ctx, "the welcome", "!!localStorage.getItem("+key+")")
	return js[string](t, ctx, "localStorage.getItem("+key+")")
}

// typeAndSend puts text in the message box (past its maxlength, as a paste script could) and presses Send.
func typeAndSend(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	quoted, _ := json.Marshal(text)
	js[bool](t, ctx, `(w('textarea').value = `+string(quoted)+`, w('.send').click(), true)`)
}
