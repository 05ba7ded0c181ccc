package openai

import (
	"encoding/json"
	"errors"
	"fmt"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/journeybot/journeybot/bot/llm"
)

// emptyParameters is the schema sent for a tool that declares none: OpenAI rejects "parameters": null.
var emptyParameters = json.RawMessage(`{"type":"object","properties":{}}`)

// request converts req to go-openai's request, with streaming and the usage chunk switched on. Tool parameter
// schemas are passed through byte for byte, so strict schemas keep their exact shape.
func (m *Model) request(req llm.Request) (goopenai.ChatCompletionRequest, error) {
	out := goopenai.ChatCompletionRequest{
		Model:         m.model,
		Messages:      make([]goopenai.ChatCompletionMessage, 0, len(req.Messages)),
		MaxTokens:     req.MaxTokens,
		Temperature:   sendableTemperature(req.Temperature),
		Stream:        true,
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
	}
	if len(req.Messages) == 0 {
		return out, errors.New("openai: request has no messages")
	}
	for _, msg := range req.Messages {
		cm := goopenai.ChatCompletionMessage{
			Role:       string(msg.Role),
			Content:    msg.Content,
			ToolCallID: msg.ToolCallID,
		}
		for _, c := range msg.ToolCalls {
			cm.ToolCalls = append(cm.ToolCalls, goopenai.ToolCall{
				ID:       c.ID,
				Type:     goopenai.ToolTypeFunction,
				Function: goopenai.FunctionCall{Name: c.Name, Arguments: c.Arguments},
			})
		}
		out.Messages = append(out.Messages, cm)
	}
	for _, t := range req.Tools {
		if t.Name == "" {
			return out, errors.New("openai: a tool has no name")
		}
		params := t.Parameters
		switch {
		case len(params) == 0:
			params = emptyParameters
		case !json.Valid(params):
			return out, fmt.Errorf("openai: tool %q: parameters are not valid JSON", t.Name)
		}
		out.Tools = append(out.Tools, goopenai.Tool{
			Type: goopenai.ToolTypeFunction,
			Function: &goopenai.FunctionDefinition{
				Name:        t.Name,
				Description: t.Description,
				Parameters:  params,
			},
		})
	}
	return out, nil
}

// zeroTemperature stands for a temperature of 0. go-openai leaves a zero Temperature out of the request
// (omitempty), and servers then use their default (1.0 at OpenAI), the opposite of what 0 asks for; this value is
// as good as 0 and is sent.
const zeroTemperature = 1e-6

func sendableTemperature(t float32) float32 {
	if t <= 0 {
		return zeroTemperature
	}
	return t
}
