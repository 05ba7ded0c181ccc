package openai

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
)

// chunks parses SSE-like lines of chunk JSON, as go-openai hands them over.
func chunks(t *testing.T, lines ...string) []goopenai.ChatCompletionStreamResponse {
	t.Helper()
	var out []goopenai.ChatCompletionStreamResponse
	for _, l := range lines {
		var c goopenai.ChatCompletionStreamResponse
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("chunk %s: %v", l, err)
		}
		out = append(out, c)
	}
	return out
}

func TestAccumulator(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    llm.Response
		wantErr string
	}{
		{
			name: "calls out of order and usage",
			lines: []string{
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","type":"function","function":{"name":"two","arguments":"{\"x\""}}]}}]}`,
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"one","arguments":""}}]}}]}`,
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":":1}"}}]}}]}`,
				`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
				`{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`,
			},
			want: llm.Response{
				ToolCalls: []llm.ToolCall{{ID: "a", Name: "one"}, {ID: "b", Name: "two", Arguments: `{"x":1}`}},
				Usage:     llm.Usage{PromptTokens: 7, CompletionTokens: 3},
			},
		},
		{
			name: "calls without index or id",
			lines: []string{
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"one","arguments":"{}"}}]}}]}`,
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"z","function":{"name":"two","arguments":"{"}}]}}]}`,
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"}"}}]}}]}`,
				`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			},
			want: llm.Response{ToolCalls: []llm.ToolCall{{ID: "call_0", Name: "one", Arguments: "{}"}, {ID: "z", Name: "two", Arguments: "{}"}}},
		},
		{
			name: "refusal is text, other choices ignored",
			lines: []string{
				`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`,
				`{"choices":[{"index":1,"delta":{"content":"other"}}]}`,
				`{"choices":[{"index":0,"delta":{"refusal":"I can't help with that."}}]}`,
				`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			},
			want: llm.Response{Content: "I can't help with that."},
		},
		{
			name:    "no finish",
			lines:   []string{`{"choices":[{"index":0,"delta":{"content":"hel"}}]}`},
			wantErr: "before the answer finished",
		},
		{
			name: "call without name",
			lines: []string{
				`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}`,
				`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
			},
			wantErr: "has no name",
		},
		{
			name:    "index out of range",
			lines:   []string{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":64,"function":{"name":"f"}}]}}]}`},
			wantErr: "out of range",
		},
		{
			name:    "negative index",
			lines:   []string{`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":-1,"function":{"name":"f"}}]}}]}`},
			wantErr: "out of range",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a accumulator
			var err error
			for _, c := range chunks(t, tt.lines...) {
				if _, err = a.add(c); err != nil {
					break
				}
			}
			var got llm.Response
			if err == nil {
				got, err = a.response()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccumulatorBound(t *testing.T) {
	var a accumulator
	piece := strings.Repeat("x", 64<<10)
	var err error
	for i := 0; i < 2*maxAnswerBytes/len(piece) && err == nil; i++ {
		_, err = a.add(goopenai.ChatCompletionStreamResponse{Choices: []goopenai.ChatCompletionStreamChoice{
			{Delta: goopenai.ChatCompletionStreamChoiceDelta{Content: piece}},
		}})
	}
	if err == nil {
		t.Fatalf("an answer of %d bytes was accepted, want an error past %d", 2*maxAnswerBytes, maxAnswerBytes)
	}
}

// FuzzAccumulatorJoin cuts a text and two calls' arguments at fuzzed places, streams the pieces as deltas (the two
// calls interleaved), and checks that the joined answer is what was cut.
func FuzzAccumulatorJoin(f *testing.F) {
	f.Add("Hello, Ana! Your order ships tomorrow.", `{"query":"refund"}`, `{"stage":"Ünboarding"}`, []byte{3, 1, 7, 2})
	f.Add("", "", "{}", []byte{})
	f.Fuzz(func(t *testing.T, text, args0, args1 string, cuts []byte) {
		if !utf8.ValidString(text) || !utf8.ValidString(args0) || !utf8.ValidString(args1) {
			t.Skip() // JSON strings carry valid UTF-8 only
		}
		if len(text)+len(args0)+len(args1) > maxAnswerBytes/2 {
			t.Skip()
		}
		var a accumulator
		var deltas []string
		add := func(d goopenai.ChatCompletionStreamChoiceDelta) {
			t.Helper()
			got, err := a.add(goopenai.ChatCompletionStreamResponse{Choices: []goopenai.ChatCompletionStreamChoice{{Delta: d}}})
			if err != nil {
				t.Fatalf("add: %v", err)
			}
			if got != "" {
				deltas = append(deltas, got)
			}
		}
		call := func(i int, id, name, args string) goopenai.ToolCall {
			return goopenai.ToolCall{Index: &i, ID: id, Function: goopenai.FunctionCall{Name: name, Arguments: args}}
		}
		for _, p := range cut(text, cuts) {
			add(goopenai.ChatCompletionStreamChoiceDelta{Content: p})
		}
		add(goopenai.ChatCompletionStreamChoiceDelta{ToolCalls: []goopenai.ToolCall{call(0, "c0", "zero", ""), call(1, "c1", "one", "")}})
		p0, p1 := cut(args0, cuts), cut(args1, bytes.Repeat(cuts, 2))
		for i := 0; i < max(len(p0), len(p1)); i++ {
			var tcs []goopenai.ToolCall
			if i < len(p1) {
				tcs = append(tcs, call(1, "", "", p1[i]))
			}
			if i < len(p0) {
				tcs = append(tcs, call(0, "", "", p0[i]))
			}
			add(goopenai.ChatCompletionStreamChoiceDelta{ToolCalls: tcs})
		}
		add(goopenai.ChatCompletionStreamChoiceDelta{})
		a.finished = true
		got, err := a.response()
		if err != nil {
			t.Fatalf("response: %v", err)
		}
		want := llm.Response{Content: text, ToolCalls: []llm.ToolCall{{ID: "c0", Name: "zero", Arguments: args0}, {ID: "c1", Name: "one", Arguments: args1}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Response (-want +got):\n%s", diff)
		}
		if joined := strings.Join(deltas, ""); joined != text {
			t.Errorf("joined deltas = %q, want %q", joined, text)
		}
	})
}

// FuzzAccumulatorChunks feeds arbitrary chunk JSON: the accumulator must not panic, and what it accepts keeps its
// bounds and names every call.
func FuzzAccumulatorChunks(f *testing.F) {
	f.Add([]byte(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"function":{"name":"f","arguments":"{"}}]}}]}` + "\n" +
		`{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a accumulator
		for _, line := range bytes.Split(data, []byte("\n")) {
			var c goopenai.ChatCompletionStreamResponse
			if json.Unmarshal(line, &c) != nil {
				continue
			}
			if _, err := a.add(c); err != nil {
				return
			}
		}
		resp, err := a.response()
		if err != nil {
			return
		}
		if len(resp.ToolCalls) > maxToolCalls || len(resp.Content) > maxAnswerBytes {
			t.Errorf("accepted %d calls and %d bytes, past the bounds", len(resp.ToolCalls), len(resp.Content))
		}
		for _, c := range resp.ToolCalls {
			if c.Name == "" || c.ID == "" {
				t.Errorf("accepted call %+v without a name or id", c)
			}
		}
	})
}

// cut splits s at the rune boundaries nearest to the offsets cuts give, keeping every piece non-empty.
func cut(s string, cuts []byte) []string {
	var out []string
	for _, c := range cuts {
		if s == "" {
			break
		}
		n := int(c)%len(s) + 1
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n++
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}
