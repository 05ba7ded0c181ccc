package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/journeybot/journeybot/bot"
)

func importOpts() ImportOptions { return ImportOptions{Now: func() time.Time { return testNow }} }

func TestImportJSONL(t *testing.T) {
	file := `{"type":"identify","userId":"u1","traits":{"email":"ada@example.com","plan":"pro"},"messageId":"i1"}

{"type":"track","userId":"u1","event":"Order Completed","properties":{"total":10},"timestamp":"2025-11-02T08:00:00Z","messageId":"t1"}
{"type":"page","anonymousId":"a1","name":"Pricing","messageId":"p1"}
`
	rec := &fakeRecorder{}
	rep, err := Import(context.Background(), strings.NewReader(file), "", rec, importOpts())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ImportReport{Calls: 3, Stored: 3}, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	events, traits := rec.stored()
	var got []string
	for _, ev := range events {
		got = append(got, fmt.Sprintf("%s %s %s %s", ev.Name, ev.Key, ev.Source, ev.Time.Format(time.RFC3339)))
	}
	want := []string{
		"order_completed segment:import:t1 import 2025-11-02T08:00:00Z",
		"page_viewed segment:import:p1 import 0001-01-01T00:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(traits) != 1 || traits[0].Email != "ada@example.com" || traits[0].Other["plan"] != "pro" {
		t.Errorf("traits %+v", traits)
	}

	// Again, as another sender: the keys follow the sender.
	rep, err = Import(context.Background(), strings.NewReader(file), FormatJSONL, rec, importOpts())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ImportReport{Calls: 3, Stored: 1, Duplicates: 2}, rep); diff != "" {
		t.Errorf("re-import report (-want +got):\n%s", diff)
	}
	opts := importOpts()
	opts.Sender = "crm"
	if rep, err = Import(context.Background(), strings.NewReader(file), FormatJSONL, rec, opts); err != nil || rep.Stored != 3 {
		t.Errorf("import as crm: %+v, %v; want 3 stored", rep, err)
	}
}

func TestImportCSV(t *testing.T) {
	file := "\uFEFFtype,event,user_id,email,phone,timestamp,message_id,properties.total,traits.plan,name\r\n" +
		"track,Order Completed,u1,,,2025-11-02T08:00:00Z,c1,129.95,,\r\n" +
		",Viewed Pricing,,ada@example.com,,,c2,,,\r\n" +
		"identify,,u1,ada@example.com,+1 415 555 0100,,c3,,pro,Ada Lovelace\r\n" +
		`page,,u1,,,,c4,,,"Pricing, annual"` + "\r\n"
	rec := &fakeRecorder{}
	rep, err := Import(context.Background(), strings.NewReader(file), "", rec, importOpts())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ImportReport{Calls: 4, Stored: 4}, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	events, traits := rec.stored()
	wantEvents := []bot.BusinessEvent{
		{Name: "order_completed", Customer: bot.CustomerRef{UserID: "u1"}, Properties: map[string]any{"total": "129.95"},
			Time: time.Date(2025, 11, 2, 8, 0, 0, 0, time.UTC), Key: "segment:import:c1", Source: "import"},
		{Name: "viewed_pricing", Customer: bot.CustomerRef{Email: "ada@example.com"}, Key: "segment:import:c2", Source: "import"},
		{Name: "page_viewed", Customer: bot.CustomerRef{UserID: "u1"}, Properties: map[string]any{"name": "Pricing, annual"},
			Key: "segment:import:c4", Source: "import"},
	}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantTraits := []bot.Traits{{
		Customer: bot.CustomerRef{UserID: "u1", Email: "ada@example.com", Phone: "+14155550100"},
		Name:     "Ada Lovelace", Email: "ada@example.com", Phone: "+14155550100", Other: map[string]string{"plan": "pro"},
		Key: "segment:import:c3", Source: "import",
	}}
	if diff := cmp.Diff(wantTraits, traits); diff != "" {
		t.Errorf("traits (-want +got):\n%s", diff)
	}
	rep, err = Import(context.Background(), strings.NewReader(file), FormatCSV, rec, importOpts())
	if err != nil || rep.Duplicates != 3 || rep.Stored != 1 { // the identify row is stored again: identify is idempotent
		t.Errorf("re-import: %+v, %v; want 3 duplicates and 1 stored", rep, err)
	}
}

func TestImportRefusesBadLines(t *testing.T) {
	tests := []struct {
		name, format, file string
		want               []LineError
	}{
		{"jsonl", FormatJSONL,
			`{"type":"track","userId":"u1","event":"fine"}` + "\n" +
				`{"type":"track","userId":"u1"}` + "\n" +
				"not json\n" +
				`{"batch":[{"type":"track","userId":"u1","event":"x"}]}` + "\n" +
				`{"type":"track","userId":"u1","event":"x","properties":{"p":"` + strings.Repeat("x", 40<<10) + `"}}` + "\n" +
				`{"type":"track","userId":"u1","event":"x","timestamp":"2030-01-01T00:00:00Z"}`,
			[]LineError{
				{Line: 2, Field: "event", Message: "event is required"},
				{Line: 3, Message: "a call must be a JSON object"},
				{Line: 4, Field: "batch", Message: "one call per line, not a batch"},
				{Line: 5, Message: "a call is at most 32 KiB"},
				{Line: 6, Field: "timestamp", Message: "timestamp is more than a day in the future"},
			}},
		{"csv", FormatCSV,
			"event,user_id,email,traits.plan\n" +
				"signup,u1,,\n" +
				"signup,,,\n" +
				"signup,u1,not-an-address,\n" +
				"signup,u1,,pro\n" +
				"signup,u1\n",
			[]LineError{
				{Line: 3, Field: "user_id", Message: "user_id or anonymous_id is required (or an email or phone in traits or context.traits)"},
				{Line: 4, Field: "email", Message: "email is not an email address"},
				{Line: 5, Field: "traits.plan", Message: "only an identify call takes traits"},
				{Line: 6, Message: "wrong number of fields"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &fakeRecorder{}
			rep, err := Import(context.Background(), strings.NewReader(tt.file), tt.format, rec, importOpts())
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("err = %v, want ErrInvalidInput", err)
			}
			if diff := cmp.Diff(tt.want, rep.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if rec.attempts != 0 {
				t.Errorf("%d calls reached the recorder, want none", rec.attempts)
			}

			opts := importOpts()
			opts.KeepGoing = true
			rep, err = Import(context.Background(), strings.NewReader(tt.file), tt.format, rec, opts)
			if err != nil || rep.Stored != 1 || rep.Invalid != len(tt.want) {
				t.Errorf("keep going: %+v, %v; want 1 stored, %d invalid", rep, err, len(tt.want))
			}
		})
	}
}

func TestImportCSVHeader(t *testing.T) {
	for _, header := range []string{"event,userid", "event,user_id,user_id", "event,properties.", "event,traits.email", ""} {
		t.Run(header, func(t *testing.T) {
			_, err := Import(context.Background(), strings.NewReader(header+"\n"), FormatCSV, &fakeRecorder{}, importOpts())
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("err = %v, want ErrInvalidInput", err)
			}
		})
	}
}

func TestImportLimitsAndStoreErrors(t *testing.T) {
	line := `{"type":"track","userId":"u1","event":"x"}` + "\n"
	opts := importOpts()
	opts.MaxLines = 2
	rec := &fakeRecorder{}
	if _, err := Import(context.Background(), strings.NewReader(strings.Repeat(line, 3)), "", rec, opts); err == nil || rec.attempts != 0 {
		t.Errorf("3 lines over a limit of 2: err %v, %d stored; want an error and nothing stored", err, rec.attempts)
	}

	n := 0
	rec = &fakeRecorder{TrackFn: func(ctx context.Context, ev bot.BusinessEvent) (bot.TrackResult, error) {
		if n++; n == 2 {
			return bot.TrackResult{}, errors.New("database is locked")
		}
		return bot.TrackResult{CustomerID: "c"}, nil
	}}
	rep, err := Import(context.Background(), strings.NewReader(strings.Repeat(line, 3)), "", rec, importOpts())
	if err == nil || !strings.Contains(err.Error(), "line 2") || rep.Stored != 1 {
		t.Errorf("store error on line 2: %+v, %v; want an error naming line 2 after 1 stored", rep, err)
	}
	if _, err := Import(context.Background(), strings.NewReader(line), "xml", &fakeRecorder{}, importOpts()); err == nil {
		t.Error("format xml accepted")
	}
}
