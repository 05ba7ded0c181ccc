// Package journeytest gives tests the journey map the repository's config.yaml ships (the demo company's), decoded
// the way cmd decodes it: strictly, so that an unknown key fails.
//
// It is test code: it must only be imported from _test.go files.
package journeytest

import (
	"bytes"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/journeybot/journeybot/journeystate"
)

// ShippedMap decodes the journey section of the config file at path (a test passes "../config.yaml" or the like)
// and fails the test when it is missing or does not decode. It does not validate the map.
func ShippedMap(t testing.TB, path string) journeystate.JourneyMap {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sections map[string]yaml.Node
	if err := yaml.Unmarshal(data, &sections); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	node, ok := sections["journey"]
	if !ok {
		t.Fatalf("%s has no journey section", path)
	}
	section, err := yaml.Marshal(&node)
	if err != nil {
		t.Fatal(err)
	}
	var m journeystate.JourneyMap
	dec := yaml.NewDecoder(bytes.NewReader(section))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s's journey section: %v", path, err)
	}
	return m
}
