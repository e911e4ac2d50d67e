package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary documents to the parser: it must never panic (parse is
// called without Parse's recover), and whatever it accepts must be valid and printable.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	if data, err := os.ReadFile("../config.example.yaml"); err == nil {
		f.Add(data)
	}
	env := func(name string) (string, bool) {
		if name == "SET" {
			return "value", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data, "fuzz.yaml", env)
		if err != nil {
			if c != nil {
				t.Fatal("both a config and an error")
			}
			_ = err.Error()
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parse accepted a config that Validate rejects: %v", err)
		}
		_ = fmt.Sprintf("%+v", c)
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		_ = c.Catalogue()
		for _, j := range c.Jobs() {
			if _, err := ParseSchedule(j.Spec, c.Schedule.Location()); err != nil {
				t.Fatalf("job %s: %v", j.Name, err)
			}
		}
	})
}
