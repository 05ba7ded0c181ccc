package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/journeybot/journeybot/bot"
)

// Import formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// DefaultMaxImportLines is the most calls Import validates before storing any (ImportOptions.MaxLines).
const DefaultMaxImportLines = 100_000

// maxReportedErrors is the most line errors an ImportReport lists; Invalid counts them all.
const maxReportedErrors = 100

// ErrInvalidInput is wrapped by Import when the file has invalid lines (or, for CSV, an unknown column): without
// KeepGoing nothing was stored; the ImportReport says which lines and fields.
var ErrInvalidInput = errors.New("invalid input")

// ImportOptions configures Import. Zero fields take the defaults given.
type ImportOptions struct {
	// Sender namespaces the idempotency keys of the calls' message ids, as an API token's name does for the calls it
	// posts; default "import". Set it to a token's name to back-fill events that token may also have sent live,
	// so that the ones already stored come back as duplicates.
	Sender string
	// KeepGoing stores the valid lines as they are read, skipping (and reporting) invalid ones. Without it the
	// whole file is validated first and nothing is stored if any line is invalid.
	KeepGoing bool
	// MaxLines bounds the calls held in memory while a file is validated first (not with KeepGoing); default
	// DefaultMaxImportLines. A longer file is refused: split it, or use KeepGoing.
	MaxLines int
	// PhoneRegion is as Options.PhoneRegion.
	PhoneRegion string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// LineError is one reason a line was refused. Line counts from 1 and includes a CSV file's header; Field is the
// JSON field or the CSV column at fault, "" for the line as a whole.
type LineError struct {
	Line    int
	Field   string
	Message string
}

func (e LineError) String() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
}

// ImportReport is what Import did.
type ImportReport struct {
	Calls      int // calls read (blank lines are not calls)
	Stored     int
	Duplicates int // calls whose message id was stored before: nothing written
	Invalid    int // lines refused
	// Errors are the first line errors (at most 100; Invalid counts every refused line).
	Errors []LineError
}

func (rep *ImportReport) refuse(line int, errs []FieldError) {
	rep.Invalid++
	for _, e := range errs {
		if len(rep.Errors) < maxReportedErrors {
			rep.Errors = append(rep.Errors, LineError{Line: line, Field: e.Field, Message: e.Message})
		}
	}
}

// Import back-fills Segment calls from r and records them through rec, in file order, each at its own timestamp
// (or now, when it has none). format is FormatJSONL (one call per line, as the API takes them), FormatCSV (see
// docs/events-api.md for the columns) or "" to tell by the content (a first non-blank character "{" is JSON Lines).
// Calls are validated as the API validates them. Message ids make a re-import harmless: calls stored before are
// counted as Duplicates.
//
// Without opts.KeepGoing, Import reads and validates the whole file first and returns an error wrapping
// ErrInvalidInput, having stored nothing, when any line is invalid. With it, valid lines are stored as they are
// read and invalid ones reported. A Recorder error other than bot.ErrBadReference stops the import: the report
// says how many calls were stored before it, and the error names the line.
func Import(ctx context.Context, r io.Reader, format string, rec Recorder, opts ImportOptions) (ImportReport, error) {
	if opts.Sender == "" {
		opts.Sender = "import"
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = DefaultMaxImportLines
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := decoder{now: opts.Now(), maxCallBytes: DefaultMaxCallBytes, maxBatch: DefaultMaxBatch, phoneRegion: opts.PhoneRegion}
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		br.Discard(3) // a byte order mark, as spreadsheets write
	}
	if format == "" {
		format = sniffFormat(br)
	}
	var src callSource
	switch format {
	case FormatJSONL:
		src = &jsonlSource{d: d, br: br}
	case FormatCSV:
		cs, err := newCSVSource(d, br)
		if err != nil {
			return ImportReport{}, err
		}
		src = cs
	default:
		return ImportReport{}, fmt.Errorf("import: unknown format %q (csv or jsonl)", format)
	}

	var rep ImportReport
	var calls []call
	for {
		c, errs, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("import: %w", err)
		}
		rep.Calls++
		if len(errs) > 0 {
			rep.refuse(c.sourceLine, errs)
			continue
		}
		if !opts.KeepGoing {
			if len(calls) == opts.MaxLines {
				return rep, fmt.Errorf("import: more than %d calls: split the file or keep going (store while reading)", opts.MaxLines)
			}
			calls = append(calls, c)
			continue
		}
		if err := importOne(ctx, rec, c, opts.Sender, &rep); err != nil {
			return rep, err
		}
	}
	if opts.KeepGoing {
		return rep, nil
	}
	if rep.Invalid > 0 {
		return rep, fmt.Errorf("import: %d of %d calls invalid, nothing stored: %w", rep.Invalid, rep.Calls, ErrInvalidInput)
	}
	for _, c := range calls {
		if err := importOne(ctx, rec, c, opts.Sender, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// importOne records one call and counts it. A bad reference is the line's error (as a refused line, in the
// report); any other error stops the import.
func importOne(ctx context.Context, rec Recorder, c call, sender string, rep *ImportReport) error {
	res, err := record(ctx, rec, c, sender, "import")
	switch {
	case errors.Is(err, bot.ErrBadReference):
		rep.refuse(c.sourceLine, []FieldError{{Message: "the customer reference names nobody or holds a bad email address or phone number"}})
		return nil
	case err != nil:
		return fmt.Errorf("import: line %d: %w (%d calls stored before it)", c.sourceLine, err, rep.Stored+rep.Duplicates)
	case res.Status == statusDuplicate:
		rep.Duplicates++
	default:
		rep.Stored++
	}
	return nil
}

// sniffFormat tells JSON Lines (the first non-blank character is "{") from CSV.
func sniffFormat(br *bufio.Reader) string {
	for n := 1; n <= 4096; n++ {
		b, _ := br.Peek(n)
		if len(b) < n {
			break
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return FormatJSONL
		}
		break
	}
	return FormatCSV
}

// callSource reads calls one at a time: a call with its sourceLine and its errors, or io.EOF.
type callSource interface {
	next() (call, []FieldError, error)
}

// jsonlSource reads JSON Lines: one call per line; blank lines are skipped.
type jsonlSource struct {
	d    decoder
	br   *bufio.Reader
	line int
}

func (s *jsonlSource) next() (call, []FieldError, error) {
	for {
		raw, tooLong, err := readLine(s.br, s.d.maxCallBytes)
		if err != nil {
			return call{}, nil, err
		}
		s.line++
		bad := call{sourceLine: s.line}
		if tooLong {
			return bad, []FieldError{{Message: fmt.Sprintf("a call is at most %d KiB", s.d.maxCallBytes>>10)}}, nil
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		var probe struct {
			Batch json.RawMessage `json:"batch"`
		}
		if json.Unmarshal(raw, &probe) == nil && probe.Batch != nil {
			return bad, []FieldError{{Field: "batch", Message: "one call per line, not a batch"}}, nil
		}
		c, errs := s.d.decodeCall(raw, s.line, "")
		c.sourceLine = s.line
		return c, errs, nil
	}
}

// readLine reads one line of at most limit bytes (its line ending aside). A longer line is read to its end and
// discarded: tooLong is true and line nil. The last line needs no line ending; io.EOF comes after it.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(frag) > limit+2 { // room for "\r\n"
				tooLong, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(line) > 0 || tooLong {
				return line, tooLong, nil
			}
			return nil, false, io.EOF
		case err != nil:
			return nil, false, fmt.Errorf("read: %w", err)
		}
		return line, tooLong, nil
	}
}
