package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeybot/journeybot/bot/llm"
	"github.com/journeybot/journeybot/journeystate"
)

// Limits on what a tool call may ask for and return.
const (
	maxToolQueryChars = 500
	toolPassages      = 4
	toolTimeout       = 5 * time.Second
)

// tool is one function the model may call.
type tool interface {
	// spec describes the tool to the model: its name, what it is for and the JSON schema of its arguments.
	spec() llm.Tool
	// run executes one call with the model's arguments (JSON text, unchecked) for the customer and conversation of
	// scope, never for anyone else: a tool takes whose data it reads or changes from scope, not from the arguments.
	// Failures become a result the model can read; run never panics on bad arguments.
	run(ctx context.Context, scope toolScope, args string) toolResult
}

// toolScope is whose turn a tool call belongs to.
type toolScope struct {
	Customer     journeystate.Customer
	Conversation journeystate.Conversation
	// handoff receives the model's handoff_to_agent decision; the turn hands off when its Trigger is set.
	handoff *HandoffRequest
}

// toolbox holds the tools the model may call: its allow-list. A call to any other name is refused.
type toolbox struct {
	tools []tool
}

func newToolbox(tools ...tool) *toolbox { return &toolbox{tools: tools} }

// private reports whether a tool reads or writes the customer's own data (the company's HTTP tools, memory), which
// a conversation others can read must not reach.
func private(tl tool) bool {
	switch tl.(type) {
	case *httpTool, factTool:
		return true
	}
	return false
}

// public returns the toolbox without the tools that reach the customer's own data.
func (t *toolbox) public() *toolbox {
	var kept []tool
	for _, tl := range t.tools {
		if !private(tl) {
			kept = append(kept, tl)
		}
	}
	return newToolbox(kept...)
}

func (t *toolbox) specs() []llm.Tool {
	out := make([]llm.Tool, len(t.tools))
	for i, tl := range t.tools {
		out[i] = tl.spec()
	}
	return out
}

func (t *toolbox) names() []string {
	specs := t.specs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
}

// toolResult is what a tool call gave the model, and what is recorded of it.
type toolResult struct {
	content   string // JSON text handed to the model
	failed    bool
	citations []journeystate.Citation
	took      time.Duration
}

func (r toolResult) event(call llm.ToolCall) map[string]any {
	return map[string]any{
		"tool":        call.Name,
		"call_id":     call.ID,
		"arguments":   truncate(call.Arguments, 1000),
		"ok":          !r.failed,
		"result":      truncate(r.content, 2000),
		"duration_ms": r.took.Milliseconds(),
	}
}

// run executes one call. Errors become a result the model can read ({"error": ...}); they never end the turn.
func (t *toolbox) run(ctx context.Context, scope toolScope, call llm.ToolCall) toolResult {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	res := toolError(fmt.Sprintf("unknown tool %q: only %s may be called", call.Name, strings.Join(t.names(), ", ")))
	for _, tl := range t.tools {
		if tl.spec().Name == call.Name {
			res = tl.run(ctx, scope, call.Arguments)
			break
		}
	}
	res.took = time.Since(start)
	return res
}

var searchKnowledgeSpec = llm.Tool{
	Name: "search_knowledge",
	Description: "Search the company's help pages. Use it whenever the answer depends on the company's products, " +
		"prices, policies or procedures. Returns the most relevant passages with their page titles.",
	Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string",` +
		`"description":"What to look for, in a few words"}},"required":["query"],"additionalProperties":false}`),
}

// knowledgeTool is search_knowledge: a search of the company's help pages.
type knowledgeTool struct {
	store journeystate.Store
}

func (k knowledgeTool) spec() llm.Tool { return searchKnowledgeSpec }

func (k knowledgeTool) run(ctx context.Context, _ toolScope, args string) toolResult {
	return k.searchKnowledge(ctx, args)
}

func (k knowledgeTool) searchKnowledge(ctx context.Context, args string) toolResult {
	var in struct {
		Query *string `json:"query"`
	}
	dec := json.NewDecoder(strings.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return toolError("arguments must be a JSON object {\"query\": string}: " + err.Error())
	}
	if in.Query == nil || strings.TrimSpace(*in.Query) == "" {
		return toolError("query is required")
	}
	if utf8.RuneCountInString(*in.Query) > maxToolQueryChars {
		return toolError(fmt.Sprintf("query is longer than %d characters", maxToolQueryChars))
	}
	passages, err := k.store.SearchKnowledge(ctx, *in.Query, toolPassages)
	if err != nil {
		return toolError("search failed; answer without it or offer a person")
	}
	type hit struct {
		Title   string `json:"title"`
		Heading string `json:"heading,omitempty"`
		Source  string `json:"source"`
		URL     string `json:"url,omitempty"`
		Text    string `json:"text"`
	}
	out := struct {
		Passages []hit  `json:"passages"`
		Note     string `json:"note,omitempty"`
	}{Passages: []hit{}}
	var cites []journeystate.Citation
	for _, p := range passages {
		out.Passages = append(out.Passages, hit{Title: p.Title, Heading: p.Heading, Source: p.Source, URL: p.URL, Text: p.Text})
		cites = append(cites, journeystate.Citation{Title: p.Title, Source: p.Source, URL: p.URL})
	}
	if len(passages) == 0 {
		out.Note = "nothing in the help pages matches; say you do not know rather than guessing"
	}
	body, _ := json.Marshal(out)
	return toolResult{content: string(body), citations: cites}
}

func toolError(msg string) toolResult {
	body, _ := json.Marshal(map[string]string{"error": msg})
	return toolResult{content: string(body), failed: true}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
