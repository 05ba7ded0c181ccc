package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDashboardWithDemoData seeds demo data, starts the server on it and opens the manager's dashboard, the
// journeys page and a transcript in Chromium as the demo manager: every chart draws, the figures are there, and
// screenshots are kept as test artefacts.
func TestBrowserDashboardWithDemoData(t *testing.T) {
	cfg := seedTestConfig(t)
	cfg.Server.Addr = "127.0.0.1:0"
	cfg.Knowledge.Dir = testConfig(t).Knowledge.Dir
	if _, err := seedDatabase(context.Background(), cfg, seedOptions{Customers: 120, Days: 30, Seed: 3, Now: time.Now()}, os.Stderr); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, cfg)
	ctx := newBrowser(t)
	do(t, ctx, "sign in as the demo manager",
		chromedp.Navigate(s.URL()+"/console/login"),
		chromedp.SendKeys("#email", demoUsers[1].Email),
		chromedp.SendKeys("#password", demoUsers[1].Password),
		chromedp.Click(role("button", "Sign in"), byRole("button", "Sign in")),
		// The sign-in page has a main too: wait for the workspace it redirects to, or the next navigation races it.
		chromedp.WaitVisible(role("heading", "Your status"), byRole("heading", "Your status")),
	)
	// chartsDrawn waits until every chart container of the page holds a canvas or an svg.
	chartsDrawn := func(page string) {
		t.Helper()
		deadline := time.Now().Add(browserWait)
		for {
			total := evaluate[int](t, ctx, `document.querySelectorAll('.chart').length`)
			drawn := evaluate[int](t, ctx, `[...document.querySelectorAll('.chart')].filter(c => c.querySelector('canvas, svg')).length`)
			if total > 0 && drawn == total {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d of %d charts drawn", page, drawn, total)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	do(t, ctx, "open the dashboard", chromedp.Navigate(s.URL()+"/console/manager?period=30d"),
		chromedp.WaitVisible(role("heading", "Dashboard"), byRole("heading", "Dashboard")))
	chartsDrawn("dashboard")
	text := evaluate[string](t, ctx, `document.querySelector('main').textContent`)
	for _, want := range []string{"Containment rate", "Hand-off rate", "Mean rating", "customer_request"} {
		if !strings.Contains(text, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	screenshot(t, ctx, "dashboard")

	do(t, ctx, "open the journeys", chromedp.Navigate(s.URL()+"/console/journeys"), chromedp.WaitVisible("main"))
	deadline := time.Now().Add(browserWait)
	for strings.Contains(evaluate[string](t, ctx, `document.querySelector('main').textContent`), "being computed") {
		if time.Now().After(deadline) {
			t.Fatal("the journey insights were not computed in time")
		}
		time.Sleep(200 * time.Millisecond)
		do(t, ctx, "reload the journeys", chromedp.Reload(), chromedp.WaitVisible("main"))
	}
	chartsDrawn("journeys")
	text = evaluate[string](t, ctx, `document.querySelector('main').textContent`)
	for _, want := range []string{"awareness", "consideration", "Variants", "Fitting", "Deviating"} {
		if !strings.Contains(text, want) {
			t.Errorf("the journeys page lacks %q", want)
		}
	}
	screenshot(t, ctx, "journeys")

	do(t, ctx, "open a transcript", chromedp.Navigate(s.URL()+"/console/transcripts?handling=handed_off"),
		chromedp.Click(`main table a[href^="/console/transcripts/"]`),
		chromedp.WaitVisible(role("heading", "Timeline across channels"), byRole("heading", "Timeline across channels")))
	text = evaluate[string](t, ctx, `document.querySelector('main').textContent`)
	if !strings.Contains(text, "hand") {
		t.Errorf("the transcript of a handed-off conversation does not show its hand-off:\n%.2000s", text)
	}
	screenshot(t, ctx, "transcript")
}
