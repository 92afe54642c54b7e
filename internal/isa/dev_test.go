package isa

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"
)

func TestDevFile(t *testing.T) {
	p := os.Getenv("ISA_FILE")
	if p == "" {
		t.Skip()
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	start := time.Now()
	var set map[string]string
	if s := os.Getenv("ISA_GO"); s != "" {
		set = map[string]string{"GOAMD64": s, "GOARM64": s}
	}
	r, err := Analyze(context.Background(), f, fi.Size(), Input{GoSettings: set})
	d := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	t.Logf("%s\n%v %.0f MB/s", b, d, float64(r.CodeBytes)/d.Seconds()/1e6)
}
