package api

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// csvColumns are the columns a CSV import may have besides "properties.NAME" and "traits.NAME".
var csvColumns = []string{"type", "event", "user_id", "anonymous_id", "email", "phone", "name", "timestamp", "message_id"}

// csvFieldNames maps the Segment fields of validation errors to the CSV columns they come from.
var csvFieldNames = strings.NewReplacer(
	"context.traits.email", "email", "context.traits.phone", "phone",
	"traits.email", "email", "traits.phone", "phone", "traits.name", "name",
	"userId", "user_id", "anonymousId", "anonymous_id", "messageId", "message_id",
)

// csvSource reads a CSV file with a header: each row is one call, built as the JSON call it stands for and then
// validated like one. Cells are text: a property or trait column's value is a string, an empty cell is absent.
type csvSource struct {
	d      decoder
	r      *csv.Reader
	header []string
}

// newCSVSource reads the header. It returns an error wrapping ErrInvalidInput for an unknown or repeated column.
func newCSVSource(d decoder, r io.Reader) (*csvSource, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("import: the file is empty: %w", ErrInvalidInput)
	}
	if err != nil {
		return nil, fmt.Errorf("import: csv header: %w", err)
	}
	header = append([]string(nil), header...)
	seen := make(map[string]bool)
	for _, col := range header {
		col = strings.TrimSpace(col)
		known := slices.Contains(csvColumns, col)
		if name, ok := strings.CutPrefix(col, "properties."); ok && name != "" {
			known = true
		}
		if name, ok := strings.CutPrefix(col, "traits."); ok && name != "" && name != "email" && name != "phone" && name != "name" {
			known = true
		}
		if !known {
			return nil, fmt.Errorf("import: csv header: unknown column %q (known: %s, properties.NAME, traits.NAME): %w",
				clip(col), strings.Join(csvColumns, ", "), ErrInvalidInput)
		}
		if seen[col] {
			return nil, fmt.Errorf("import: csv header: column %q appears twice: %w", col, ErrInvalidInput)
		}
		seen[col] = true
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	return &csvSource{d: d, r: cr, header: header}, nil
}

func (s *csvSource) next() (call, []FieldError, error) {
	record, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return call{}, nil, io.EOF
	}
	line, _ := s.r.FieldPos(0)
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		if line == 0 {
			line = pe.StartLine
		}
		return call{sourceLine: line}, []FieldError{{Message: pe.Err.Error()}}, nil
	}
	if err != nil {
		return call{}, nil, fmt.Errorf("read csv: %w", err)
	}
	raw, errs := s.callJSON(record, line)
	if len(errs) > 0 {
		return call{sourceLine: line}, errs, nil
	}
	c, errs := s.d.decodeCall(raw, line, "")
	for i := range errs {
		errs[i].Field = csvFieldNames.Replace(errs[i].Field)
		errs[i].Message = csvFieldNames.Replace(errs[i].Message)
	}
	c.sourceLine = line
	return c, errs, nil
}

// callJSON builds the Segment call a row stands for.
func (s *csvSource) callJSON(record []string, line int) ([]byte, []FieldError) {
	var errs []FieldError
	v := map[string]any{"type": "track"}
	props, traits, ctxTraits := map[string]any{}, map[string]any{}, map[string]any{}
	cells := make(map[string]string)
	for i, col := range s.header {
		if cell := record[i]; cell != "" {
			cells[col] = cell
		}
	}
	if t := cells["type"]; t != "" {
		v["type"] = strings.TrimSpace(t)
	}
	identify := v["type"] == typeIdentify
	for col, cell := range cells {
		switch {
		case col == "type":
		case col == "event":
			v["event"] = cell
		case col == "user_id":
			v["userId"] = cell
		case col == "anonymous_id":
			v["anonymousId"] = cell
		case col == "timestamp":
			v["timestamp"] = cell
		case col == "message_id":
			v["messageId"] = cell
		case col == "name" && identify:
			traits["name"] = cell
		case col == "name":
			v["name"] = cell
		case col == "email" || col == "phone":
			if identify {
				traits[col] = cell
			} else {
				ctxTraits[col] = cell
			}
		case strings.HasPrefix(col, "properties."):
			if identify {
				errs = append(errs, FieldError{Index: line, Field: col, Message: "an identify call takes traits, not properties"})
			}
			props[strings.TrimPrefix(col, "properties.")] = cell
		case strings.HasPrefix(col, "traits."):
			if !identify {
				errs = append(errs, FieldError{Index: line, Field: col, Message: "only an identify call takes traits"})
			}
			traits[strings.TrimPrefix(col, "traits.")] = cell
		}
	}
	if len(props) > 0 {
		v["properties"] = props
	}
	if len(traits) > 0 {
		v["traits"] = traits
	}
	if len(ctxTraits) > 0 {
		v["context"] = map[string]any{"traits": ctxTraits}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	raw, err := json.Marshal(v)
	if err != nil { // cannot happen: strings and maps of strings
		return nil, []FieldError{{Index: line, Message: "the row could not be read"}}
	}
	return raw, nil
}
