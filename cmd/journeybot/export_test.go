package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// TestExport exports what a server stored, in every format, and reads each export back.
func TestExport(t *testing.T) {
	cfg := testConfig(t)
	s := startServer(t, cfg)
	ctx := context.Background()
	var convIDs []string
	for i, text := range []string{"How long does shipping take?", "=HYPERLINK(\"http://evil\") I want to talk to a person"} {
		r, err := s.Engine.Receive(ctx, channels.Inbound{Channel: journeystate.ChannelWeb, UserID: "v" + string(rune('a'+i)),
			ThreadID: "v" + string(rune('a'+i)), ClientMsgID: "m" + string(rune('a'+i)), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		convIDs = append(convIDs, r.Conversation.ID)
	}
	pollUntil(t, frameWait, "both answered", func() bool {
		for _, id := range convIDs {
			msgs, err := s.Store.RecentMessages(ctx, id, 10)
			if err != nil || len(msgs) < 2 {
				return false
			}
		}
		return true
	})
	environ := []string{"JOURNEYBOT_STORE_PATH=" + cfg.Store.Path, "JOURNEYBOT_KNOWLEDGE_DIR=" + cfg.Knowledge.Dir}
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := runExport(ctx, append([]string{"-config", ""}, args...), environ, &out, &errOut); err != nil {
			t.Fatalf("export %v: %v (%s)", args, err, errOut.String())
		}
		return out.String()
	}

	rows, err := csv.NewReader(strings.NewReader(run("-format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "conversation_id" {
		t.Fatalf("csv: %d rows (%v), want a header and two conversations", len(rows), rows)
	}
	handedOff := 0
	for _, r := range rows[1:] {
		if r[10] == "true" {
			handedOff++
		}
	}
	if handedOff != 1 {
		t.Errorf("csv: %d conversations handed off, want 1", handedOff)
	}

	lines := strings.Split(strings.TrimSpace(run("-format", "json", "-from", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))), "\n")
	if len(lines) != 2 {
		t.Fatalf("json: %d lines, want 2", len(lines))
	}
	if out := strings.TrimSpace(run("-format", "json", "-to", "2000-01-01")); out != "" {
		t.Errorf("json before 2000: %q, want nothing", out)
	}

	// One conversation as JSON round-trips: what is read back is what the store holds.
	var one conversationExport
	if err := json.Unmarshal([]byte(run("-format", "json", "-conversation", convIDs[1])), &one); err != nil {
		t.Fatal(err)
	}
	stored, err := s.Store.Messages(ctx, convIDs[1], 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(stored, one.Messages); diff != "" {
		t.Errorf("conversation export differs from the store (-store +export):\n%s", diff)
	}
	// The CSV of one conversation keeps a formula-looking message from running in a spreadsheet.
	if out := run("-format", "csv", "-conversation", convIDs[1]); !strings.Contains(out, `'=HYPERLINK`) {
		t.Errorf("conversation csv does not defuse a formula:\n%s", out)
	}

	// XES: one trace per customer, every event of the log.
	all, err := s.Store.ScanEvents(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(run("-format", "xes")))
	traces, events := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("xes: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "trace":
				traces++
			case "event":
				events++
			}
		}
	}
	if traces != 2 || events != len(all) {
		t.Errorf("xes: %d traces and %d events, want 2 and %d", traces, events, len(all))
	}

	var ocel struct {
		Events  []json.RawMessage `json:"events"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal([]byte(run("-format", "ocel")), &ocel); err != nil {
		t.Fatal(err)
	}
	if len(ocel.Events) != len(all) || len(ocel.Objects) < 4 {
		t.Errorf("ocel: %d events and %d objects, want %d events and the customers and conversations", len(ocel.Events), len(ocel.Objects), len(all))
	}

	for _, bad := range [][]string{{"-format", "pdf"}, {"-format", "xes", "-conversation", "x"}, {"-from", "yesterday"}} {
		if err := runExport(ctx, append([]string{"-config", ""}, bad...), environ, io.Discard, io.Discard); err == nil {
			t.Errorf("export %v: no error", bad)
		}
	}
}
